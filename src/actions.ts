import {
  Clipboard,
  Dialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { PortalError } from './portals/errors';
import type { ICreateOptions, IPortalTokenModel } from './tokens';

/**
 * A failure explained for the user: what happened at which portal, and what to do.
 */
export function describeError(
  error: PortalError,
  portal: string,
  trans: TranslationBundle
): string {
  switch (error.reason) {
    case 'signed-out':
      return trans.__(
        '%1 says you are not signed in. Sign in to the portal, then try again.',
        portal
      );
    case 'bad-credentials':
      return trans.__(
        '%1 did not accept that username and password. Check them and try again.',
        portal
      );
    case 'locked':
      return trans.__(
        "%1 has locked the account after failed sign-ins. Wait a while, or ask the portal's administrators, then try again.",
        portal
      );
    case 'invalid':
      return error.portalMessage
        ? trans.__('%1 refused the request: %2', portal, error.portalMessage)
        : trans.__(
            '%1 refused the request as invalid (HTTP %2).',
            portal,
            error.status ?? '?'
          );
    case 'forbidden':
      return trans.__(
        "%1 refused the request (HTTP 403): your account may not be allowed to manage API tokens. Ask the portal's administrators.",
        portal
      );
    case 'not-found':
      return trans.__(
        "%1 answered that this does not exist (HTTP 404). Check the portal's address in the settings (API tokens), then try again.",
        portal
      );
    case 'conflict':
      return trans.__(
        '%1 refused the request as conflicting with what it has (HTTP 409). Try again; if it keeps happening, replace or revoke the token in the portal.',
        portal
      );
    case 'server':
      return trans.__(
        '%1 failed with an error (HTTP %2). Try again later.',
        portal,
        error.status ?? '?'
      );
    case 'timeout':
      return trans.__('%1 did not answer in time. Try again later.', portal);
    case 'network':
      return trans.__(
        'Could not reach %1. Check your network connection, or whether the portal allows this JupyterLab (CORS), then try again.',
        portal
      );
    case 'relay':
      return error.portalMessage
        ? trans.__(
            'The Jupyter server could not relay the call to %1: %2',
            portal,
            error.portalMessage
          )
        : trans.__(
            'The Jupyter server could not relay the call to %1 (HTTP %2).',
            portal,
            error.status ?? '?'
          );
    case 'no-relay':
      return trans.__(
        '%1 is on another origin, which this page cannot call (the portal sends no CORS headers). Install the server half of jupyterlab-portal-token where the Jupyter server runs (pip install jupyterlab_portal_token, then restart the server), or ask your administrator to.',
        portal
      );
    case 'bad-response':
    default:
      return trans.__(
        "%1 sent an answer this extension does not understand (HTTP %2). Try again later; if it keeps happening, tell the portal's administrators.",
        portal,
        error.status ?? '?'
      );
  }
}

/**
 * The user-facing actions on a token, shared by the panel and the commands.
 */
export namespace TokenActions {
  /**
   * Generate a token; failures are shown by the panel from the model's error. Resolves
   * whether it was made.
   */
  export async function generate(
    model: IPortalTokenModel,
    trans: TranslationBundle,
    options?: ICreateOptions
  ): Promise<boolean> {
    const done = await model.generate(options);
    // Done but not live: a one-token portal already had a token, which the panel shows.
    Private.report(
      model,
      trans,
      done,
      model.state === 'live'
        ? trans.__('New API token for %1 is ready.', model.config.label)
        : null
    );
    return done;
  }

  /** Copy the live secret to the clipboard. */
  export async function copy(
    model: IPortalTokenModel,
    trans: TranslationBundle
  ): Promise<void> {
    let secret: string | null;
    try {
      secret = await model.revealSecret();
    } catch {
      secret = null;
    }
    if (!secret) {
      Notification.error(
        trans.__(
          'The API token for %1 could not be read: the Jupyter server no longer has it.',
          model.config.label
        ),
        { autoClose: false }
      );
      return;
    }
    await copyText(
      secret,
      trans.__('API token for %1 copied to the clipboard.', model.config.label)
    );
  }

  /** Copy a text to the clipboard, and say so. */
  export async function copyText(text: string, done: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      Clipboard.copyToSystem(text);
    }
    Notification.info(done, { autoClose: 3000 });
  }

  /** Ask, then revoke the token and scrub the kernels. */
  export async function revoke(
    model: IPortalTokenModel,
    trans: TranslationBundle
  ): Promise<void> {
    const confirmed = await Private.confirm(
      trans,
      trans.__('Revoke the API token for %1?', model.config.label),
      trans.__(
        'The token stops working everywhere, and it is removed from the kernels.'
      ),
      trans.__('Revoke')
    );
    if (confirmed) {
      Private.report(
        model,
        trans,
        await model.revoke(),
        trans.__('API token for %1 revoked.', model.config.label)
      );
    }
  }

  /**
   * Ask, then take the token out of the kernels without revoking it (portals that cannot
   * revoke over their API).
   */
  export async function forget(
    model: IPortalTokenModel,
    trans: TranslationBundle
  ): Promise<void> {
    const manage = model.client.manageUrl;
    const confirmed = await Private.confirm(
      trans,
      trans.__(
        'Remove the API token for %1 from the kernels?',
        model.config.label
      ),
      manage
        ? trans.__(
            "%1 cannot revoke tokens from here: the token stays valid until it expires or you delete it on the portal's token page.",
            model.config.label
          )
        : trans.__('The token stays valid at %1.', model.config.label),
      trans.__('Remove')
    );
    if (confirmed) {
      model.forget();
    }
  }

  /** Replace the live token with a new one; the kernels get it without a gap. */
  export async function renew(
    model: IPortalTokenModel,
    trans: TranslationBundle
  ): Promise<void> {
    Private.report(
      model,
      trans,
      await model.renew(),
      trans.__('API token for %1 renewed.', model.config.label)
    );
  }

  /**
   * Ask, then revoke tokens picked from a portal's list (one, or several at once). Resolves
   * whether they were revoked; failures are shown by the panel from the model's error.
   */
  export async function revokeListed(
    model: IPortalTokenModel,
    ids: string[],
    trans: TranslationBundle
  ): Promise<boolean> {
    const names = ids.map(
      id => model.tokens.find(token => token.id === id)?.label || id
    );
    const ownId = model.state === 'live' ? model.token?.id : undefined;
    const includesOwn = ownId !== undefined && ids.includes(ownId);
    const confirmed = await Private.confirm(
      trans,
      trans._n(
        'Revoke %1 token at %2?',
        'Revoke %1 tokens at %2?',
        ids.length,
        model.config.label
      ),
      [
        names.join(', '),
        includesOwn
          ? trans.__(
              'This includes the token in use in your kernels: it is removed from them.'
            )
          : trans.__('Anything that uses them stops working.')
      ].join('\n'),
      trans.__('Revoke')
    );
    if (!confirmed) {
      return false;
    }
    return ids.length === 1 ? model.revoke(ids[0]) : model.revokeMany(ids);
  }

  /** Ask, then replace the portal's token with a new one made here. */
  export async function replace(
    model: IPortalTokenModel,
    trans: TranslationBundle
  ): Promise<void> {
    const confirmed = await Private.confirm(
      trans,
      trans.__('Replace the API token for %1?', model.config.label),
      trans.__(
        'The current token is revoked: anything else that uses it stops working. A new token is created and put into the kernels.'
      ),
      trans.__('Replace')
    );
    if (confirmed) {
      // The new token shows in the panel; only a failure needs a notification.
      Private.report(model, trans, await model.renew(), null);
    }
  }
}

/**
 * Module internals.
 */
namespace Private {
  /**
   * Ask before a destructive act: Cancel, or the act's own warning button. Resolves whether
   * the user chose the act.
   */
  export async function confirm(
    trans: TranslationBundle,
    title: string,
    body: string,
    act: string
  ): Promise<boolean> {
    const result = await showDialog({
      title,
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: act })
      ]
    });
    return result.button.accept;
  }

  /**
   * Tell how an act ended: `success` (if any) for a while, or the model's error until closed.
   */
  export function report(
    model: IPortalTokenModel,
    trans: TranslationBundle,
    done: boolean,
    success: string | null
  ): void {
    if (done) {
      if (success) {
        Notification.success(success, { autoClose: 5000 });
      }
    } else if (model.error) {
      Notification.error(
        describeError(model.error, model.config.label, trans),
        { autoClose: false }
      );
    }
  }
}
