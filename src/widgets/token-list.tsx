import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { TokenActions } from '../actions';
import type { IPortalTokenModel, ITokenInfo } from '../tokens';
import { Action } from './parts';

/**
 * The user's tokens at a portal that keeps several: what the portal says of each, a revoke
 * button per token and, where the portal can, revoking a selection at once.
 */
export function TokenList(props: {
  model: IPortalTokenModel;
  trans: TranslationBundle;
  busy: boolean;
}): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  const tokens = model.tokens;
  const [selected, setSelected] = React.useState<Set<string>>(new Set());
  const ownId = model.state === 'live' ? model.token?.id : undefined;
  // Forget selections of tokens that are gone.
  const present = new Set(tokens.map(token => token.id ?? ''));
  const chosen = [...selected].filter(id => present.has(id));

  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) {
      next.delete(id);
    } else {
      next.add(id);
    }
    setSelected(next);
  };
  const revoke = async (ids: string[]) => {
    if (await TokenActions.revokeListed(model, ids, trans)) {
      setSelected(new Set());
    }
  };

  if (tokens.length === 0) {
    return (
      <p className="jp-PortalToken-empty">
        {trans.__('You have no tokens at %1.', model.config.label)}
      </p>
    );
  }
  // The day is enough in a list, and keeps a token to two lines.
  const date = (value: Date | null | undefined, none: string) =>
    value ? Private.day.format(value) : none;
  return (
    <div className="jp-PortalToken-list">
      <ul aria-label={trans.__('Your tokens at %1', model.config.label)}>
        {tokens.map((token: ITokenInfo, index) => {
          const id = token.id ?? `#${index}`;
          const name = token.label || trans.__('(no description)');
          // Description, type, expiry and last use; then what marks it out.
          const facts = [
            token.type,
            token.expires
              ? trans.__('expires %1', date(token.expires, ''))
              : trans.__('never expires'),
            trans.__('last used %1', date(token.lastUsed, trans.__('never'))),
            token.valid === false ? trans.__('invalid') : trans.__('valid'),
            token.current && trans.__('this session'),
            id === ownId && trans.__('in your kernels')
          ].filter(Boolean);
          return (
            <li
              key={id}
              className={`jp-PortalToken-item${token.valid === false ? ' jp-mod-invalid' : ''}`}
            >
              {caps.bulkRevoke && (
                <input
                  type="checkbox"
                  checked={chosen.includes(id)}
                  disabled={busy || !token.id}
                  aria-label={trans.__('Select %1', name)}
                  onChange={() => toggle(id)}
                />
              )}
              <span className="jp-PortalToken-itemText">
                <span className="jp-PortalToken-itemName">{name}</span>{' '}
                <span className="jp-PortalToken-itemFacts">
                  {facts.join(' · ')}
                </span>
              </span>
              {caps.revoke && token.id && (
                <Button
                  type="button"
                  className="jp-mod-styled jp-mod-secondary jp-PortalToken-small"
                  small
                  minimal
                  disabled={busy}
                  aria-label={trans.__('Revoke %1', name)}
                  onClick={() => void revoke([id])}
                >
                  {trans.__('Revoke')}
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      {caps.bulkRevoke && chosen.length > 0 && (
        <Action
          kind="warn"
          label={trans.__('Revoke selected (%1)', chosen.length)}
          disabled={busy}
          onClick={() => void revoke(chosen)}
        />
      )}
    </div>
  );
}

namespace Private {
  export const day = new Intl.DateTimeFormat(undefined, {
    dateStyle: 'medium'
  });
}
