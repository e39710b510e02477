import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { TokenActions } from './actions';
import type { IPortalTokenManager } from './tokens';

/**
 * What the expiry notices need.
 */
export interface IExpiryNoticesOptions {
  /** The portals' token models. */
  manager: IPortalTokenManager;
  /** The extension's translation bundle. */
  trans: TranslationBundle;
  /** Show the API tokens panel. */
  openPanel: () => void;
}

/**
 * Tell the user when a live token enters its warning period (with "Renew now" where one click
 * renews it) or has expired, in a notification that stays until dismissed.
 */
export function addExpiryNotices(options: IExpiryNoticesOptions): void {
  const { manager, trans, openPanel } = options;
  manager.expiryNotice.connect((_, { model, kind }) => {
    const message =
      kind === 'warning'
        ? trans.__(
            'Your API token for %1 expires soon. Replace it in the API tokens panel.',
            model.config.label
          )
        : trans.__(
            'Your API token for %1 has expired and was removed from the kernels.',
            model.config.label
          );
    const actions = [
      {
        label: trans.__('Open API tokens'),
        callback: () => openPanel()
      }
    ];
    if (kind === 'warning' && model.canRenew) {
      actions.unshift({
        label: trans.__('Renew now'),
        callback: () => void TokenActions.renew(model, trans)
      });
    }
    Notification.warning(message, { autoClose: false, actions });
  });
}
