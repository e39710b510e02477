import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * The panel's one button: JupyterLab's styled button. `accept` is a view's one primary
 * action; `secondary` the quieter ones beside it; `warn` and `reject` are a form's or list's
 * own (a destructive submit, Cancel).
 */
export function Action(props: {
  label: string;
  onClick?: () => void;
  kind?: ActionKind;
  disabled?: boolean;
  /** The accessible name, when the label alone does not say which portal or token. */
  name?: string;
  type?: 'button' | 'submit';
  /** Take the focus when it appears. */
  focus?: boolean;
}): JSX.Element {
  const kind = props.kind ?? 'accept';
  return (
    <Button
      type={props.type ?? 'button'}
      minimal={kind === 'secondary'}
      className={`jp-mod-styled jp-mod-${kind} jp-PortalToken-button`}
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
 * The styles of `Action`.
 */
export type ActionKind = 'accept' | 'secondary' | 'warn' | 'reject';

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
