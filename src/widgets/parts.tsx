import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * The panel's one button: JupyterLab's styled button, in the accept (default), warn or reject
 * style.
 */
export function Action(props: {
  label: string;
  onClick?: () => void;
  kind?: 'accept' | 'warn' | 'reject';
  disabled?: boolean;
  /** The accessible name, when the label alone does not say which portal or token. */
  name?: string;
  type?: 'button' | 'submit';
  /** Take the focus when it appears. */
  focus?: boolean;
}): JSX.Element {
  return (
    <Button
      type={props.type ?? 'button'}
      className={`jp-mod-styled jp-mod-${props.kind ?? 'accept'} jp-PortalToken-button`}
      disabled={props.disabled}
      aria-label={props.name}
      autoFocus={props.focus}
      onClick={props.onClick}
    >
      {props.label}
    </Button>
  );
}

/**
 * A link to one of the portal's own pages, in a new tab.
 */
export function PortalLink(props: { href: string; text: string }): JSX.Element {
  return (
    <a
      className="jp-PortalToken-link"
      href={props.href}
      target="_blank"
      rel="noopener noreferrer"
    >
      {props.text}
    </a>
  );
}
