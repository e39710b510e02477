import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { PortalTokenManager } from '../manager';
import { PortalSection } from './section';
import { attachStylesheet } from './stylesheet';

/**
 * The "API tokens" sidebar panel: one section per configured portal.
 */
export class TokenPanel extends ReactWidget {
  constructor(options: TokenPanel.IOptions) {
    super();
    attachStylesheet();
    this._manager = options.manager;
    this._trans = options.trans;
    this.addClass('jp-PortalToken-panel');
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
                <p className="jp-PortalToken-message">
                  {trans.__(
                    'No portal is configured. Add one under "portals" in Settings → API tokens.'
                  )}
                </p>
              ) : (
                items.map(item => (
                  <PortalSection
                    // A new model for the same id (its settings changed) is a new section:
                    // the section listens to its own model's signal.
                    key={`${item.entry.id}#${Private.keyOf(item.model ?? item.entry)}`}
                    entry={item.entry}
                    model={item.model}
                    trans={trans}
                  />
                ))
              )}
            </div>
          );
        }}
      </UseSignal>
    );
  }

  private _manager: PortalTokenManager;
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
    manager: PortalTokenManager;
    trans: TranslationBundle;
  }
}

namespace Private {
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
