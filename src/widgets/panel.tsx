import type { IStateDB } from '@jupyterlab/statedb';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import * as React from 'react';
import { TokenActions } from '../actions';
import type { IPortalTokenManager } from '../tokens';
import { Action } from './parts';
import { PortalSection } from './section';
import { attachStylesheet } from './stylesheet';

/**
 * The "API tokens" sidebar panel: one card per configured portal.
 */
export class TokenPanel extends ReactWidget {
  constructor(options: TokenPanel.IOptions) {
    super();
    attachStylesheet();
    this._manager = options.manager;
    this._trans = options.trans;
    this._commands = options.commands ?? null;
    this._state = options.state ?? null;
    this.addClass('jp-PortalToken-panel');
    this.node.tabIndex = -1;
    // Which cards are folded: portal ids only, never anything of a token.
    void this._state
      ?.fetch(Private.STATE_KEY)
      .then(value => {
        const ids = (value as { collapsed?: unknown } | undefined)?.collapsed;
        if (Array.isArray(ids) && !this.isDisposed) {
          this._collapsed = new Set(
            ids.filter((id): id is string => typeof id === 'string')
          );
          this.update();
        }
      })
      .catch(() => undefined);
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    return (
      <UseSignal signal={this._manager.itemsChanged}>
        {() => {
          const items = this._manager.items;
          return (
            <div className="jp-PortalToken-content">
              <h2 className="jp-PortalToken-title">{trans.__('API tokens')}</h2>
              {items.length === 0 ? (
                <NoPortal trans={trans} />
              ) : (
                items.map(item => (
                  <PortalSection
                    // A new model for the same id (its settings changed) is a new section:
                    // the section listens to its own model's signal.
                    key={`${item.entry.id}#${Private.keyOf(item.model ?? item.entry)}`}
                    entry={item.entry}
                    model={item.model}
                    trans={trans}
                    commands={this._commands}
                    open={!this._collapsed.has(item.entry.id)}
                    onToggle={open => this._toggle(item.entry.id, open)}
                  />
                ))
              )}
            </div>
          );
        }}
      </UseSignal>
    );
  }

  /**
   * Activated (its tab, the "Open API Tokens Panel" command): the focus goes to the panel's
   * first control, so the keyboard starts inside it. Once more a frame later: the command
   * palette, closing after it ran the command, activates the main area's widget in the same
   * frame (its `restore`), which would take the focus back.
   */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const focusFirst = () => {
      if (this.isVisible) {
        (
          this.node.querySelector<HTMLElement>(Private.FOCUSABLE) ?? this.node
        ).focus();
      }
    };
    focusFirst();
    requestAnimationFrame(focusFirst);
  }

  private _toggle(id: string, open: boolean): void {
    if (open) {
      this._collapsed.delete(id);
    } else {
      this._collapsed.add(id);
    }
    this.update();
    void this._state
      ?.save(Private.STATE_KEY, { collapsed: [...this._collapsed] })
      .catch(() => undefined);
  }

  private _collapsed = new Set<string>();
  private _commands: CommandRegistry | null;
  private _manager: IPortalTokenManager;
  private _state: IStateDB | null;
  private _trans: TranslationBundle;
}

/**
 * The TokenPanel namespace.
 */
export namespace TokenPanel {
  /**
   * Options of a TokenPanel.
   */
  export interface IOptions {
    manager: IPortalTokenManager;
    trans: TranslationBundle;
    /** The app's commands, for the cards' "use it" buttons. */
    commands?: CommandRegistry | null;
    /** Where the panel remembers which cards are folded. */
    state?: IStateDB | null;
  }
}

/**
 * No portal configured: how an administrator configures one, with an example to copy.
 */
function NoPortal(props: { trans: TranslationBundle }): JSX.Element {
  const { trans } = props;
  return (
    <div className="jp-PortalToken-message">
      <p>
        {trans.__(
          'No portal is configured. An administrator lists them (kinds xdmod, sodar, axivion) in <sys.prefix>/share/jupyter/lab/settings/overrides.json, for example:'
        )}
      </p>
      <pre className="jp-PortalToken-example">
        <code>{Private.EXAMPLE}</code>
      </pre>
      <Action
        label={trans.__('Copy')}
        name={trans.__('Copy the overrides.json example')}
        onClick={() =>
          void TokenActions.copyText(
            Private.EXAMPLE,
            trans.__('Example copied to the clipboard.')
          )
        }
      />
    </div>
  );
}

namespace Private {
  /** The state database key of the panel (which cards are folded). */
  export const STATE_KEY = 'jupyterlab-portal-token:panel';

  /** What can take the focus in the panel. */
  export const FOCUSABLE =
    'button:enabled, input:enabled, select:enabled, a[href], [tabindex="0"]';

  /** An overrides.json that configures one portal. */
  export const EXAMPLE = `{
  "jupyterlab-portal-token:plugin": {
    "portals": [
      {
        "id": "xdmod",
        "kind": "xdmod",
        "label": "XDMoD",
        "url": "https://xdmod.example.org/"
      }
    ]
  }
}`;

  const keys = new WeakMap<object, number>();
  let next = 0;

  /** A number that stays with one object (a model, or a bad entry) for React's key. */
  export function keyOf(value: object): number {
    let key = keys.get(value);
    if (key === undefined) {
      key = next++;
      keys.set(value, key);
    }
    return key;
  }
}
