import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { TokenActions } from './actions';
import { PANEL_ID } from './commands';
import type { IPortalTokenManager } from './tokens';

/**
 * Tell the user when a live token of the manager's enters its warning period (with "Renew now"
 * where one click renews it) or has expired, in a notification that stays until dismissed; its
 * "Open API tokens" shows the panel.
 */
export function addExpiryNotices(
  app: JupyterFrontEnd,
  manager: IPortalTokenManager,
  trans: TranslationBundle
): void {
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
        callback: () => app.shell.activateById(PANEL_ID)
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
