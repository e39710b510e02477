import type { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { describeError, TokenActions } from '../actions';
import type { IPortalEntry, ConfigProblem } from '../config';
import type { PortalTokenModel } from '../model';
import type { IKernelInjectionStatus } from '../tokens';
import { CreateForm, SignInForm } from './forms';
import { formatDate, formatRelative } from './format';
import { TokenList } from './token-list';

/**
 * Props of a portal section.
 */
export interface IPortalSectionProps {
  entry: IPortalEntry;
  model: PortalTokenModel | null;
  trans: TranslationBundle;
}

/**
 * One portal in the panel: its state, and the actions its client declares.
 */
export function PortalSection(props: IPortalSectionProps): JSX.Element {
  const { entry, model, trans } = props;
  const headingId = `jp-PortalToken-heading-${Private.slug(entry.id)}`;
  return (
    <section
      className="jp-PortalToken-section"
      aria-labelledby={headingId}
      data-portal={entry.id}
    >
      <h3 id={headingId} className="jp-PortalToken-sectionTitle">
        {entry.label}
      </h3>
      {model ? (
        <UseSignal signal={model.changed}>
          {() => <PortalBody model={model} trans={trans} />}
        </UseSignal>
      ) : (
        <ConfigProblems problems={entry.problems} trans={trans} />
      )}
    </section>
  );
}

function ConfigProblems(props: {
  problems: ConfigProblem[];
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const text = (problem: ConfigProblem): string => {
    switch (problem.kind) {
      case 'missing-id':
        return trans.__('The portal has no id.');
      case 'duplicate-id':
        return trans.__(
          'Another portal already uses the id "%1".',
          problem.value
        );
      case 'unknown-kind':
        return trans.__('Unknown portal kind "%1".', problem.value);
      case 'bad-url':
        return trans.__('"%1" is not a valid http(s) URL.', problem.value);
      case 'bad-via':
        return trans.__(
          '"%1" is not a way to reach a portal: use auto, browser or server.',
          problem.value
        );
      case 'empty-token-variable':
        return trans.__(
          "The token's environment variable has an empty name: kernels could not get the token."
        );
      case 'bad-variable':
        return trans.__(
          '"%1" is not a valid environment variable name (letters, digits and _, not starting with a digit).',
          problem.value
        );
    }
  };
  return (
    <div className="jp-PortalToken-message jp-mod-error" role="alert">
      <p>{trans.__('This portal is misconfigured in the settings:')}</p>
      <ul>
        {props.problems.map((problem, index) => (
          <li key={index}>{text(problem)}</li>
        ))}
      </ul>
    </div>
  );
}

function PortalBody(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const label = model.config.label;
  const busy = model.activity !== null;
  const progress = {
    checking: trans.__('Checking %1…', label),
    'signing-in': trans.__('Signing in to %1…', label),
    'signing-out': trans.__('Signing out of %1…', label),
    generating: trans.__('Generating a token…'),
    revoking: trans.__('Revoking the token…')
  };
  const button = (
    text: string,
    onClick: () => void,
    options: { warn?: boolean } = {}
  ) => (
    <button
      type="button"
      className={`jp-Button jp-mod-styled ${options.warn ? 'jp-mod-warn' : 'jp-mod-accept'} jp-PortalToken-button`}
      disabled={busy}
      onClick={onClick}
    >
      {text}
    </button>
  );
  const caps = model.client.capabilities;
  const token = model.token;
  let body: JSX.Element | null = null;
  switch (model.state) {
    case 'loading':
      body = null;
      break;
    case 'unreachable':
      body = (
        <>
          <p>{trans.__('The state of your token at %1 is unknown.', label)}</p>
          {button(trans.__('Retry'), () => void model.refresh())}
        </>
      );
      break;
    case 'signed-out':
      body =
        caps.credentials === 'portal-origin' ? (
          <p className="jp-PortalToken-message jp-mod-warning">
            {trans.__(
              "%1 signs you in through single sign-on, which works only in pages on its own origin (%2). This JupyterLab is served from another one, so the panel cannot manage your %1 tokens here: JupyterLab must be served from the portal's origin. Ask your administrator.",
              label,
              new URL(model.config.url).origin
            )}
          </p>
        ) : caps.credentials === 'sign-in' ? (
          <>
            <p>{trans.__('Sign in to %1 to manage your API tokens.', label)}</p>
            <SignInForm model={model} trans={trans} busy={busy} />
          </>
        ) : (
          <>
            <p>{trans.__('You are not signed in to %1.', label)}</p>
            <a
              className="jp-PortalToken-link"
              href={model.client.signInUrl}
              target="_blank"
              rel="noopener noreferrer"
            >
              {trans.__('Sign in to %1', label)}
            </a>
          </>
        );
      break;
    case 'unavailable':
      body = (
        <>
          <p>
            {trans.__(
              '%1 is not configured for API tokens (the portal offers no token API).',
              label
            )}
          </p>
          <SignOut model={model} trans={trans} busy={busy} />
        </>
      );
      break;
    case 'none':
      body = !caps.singleToken ? (
        <>
          <p>{trans.__('No token from %1 is in use here.', label)}</p>
          <PortalTokens model={model} trans={trans} busy={busy} />
        </>
      ) : (
        <>
          <p>{trans.__('You have no API token at %1.', label)}</p>
          {caps.create &&
            button(
              trans.__('Generate token'),
              () => void TokenActions.generate(model, trans)
            )}
          <SignOut model={model} trans={trans} busy={busy} />
        </>
      );
      break;
    case 'live':
      body = (
        <>
          <p className="jp-PortalToken-secret">
            <span className="jp-PortalToken-label">{trans.__('Token')}</span>{' '}
            <code aria-label={trans.__('Token, masked')}>
              {model.secretPreview === null
                ? '••••••••'
                : `${model.secretPreview}…`}
            </code>
          </p>
          <Expiry model={model} trans={trans} />
          <Keeping model={model} trans={trans} />
          <p className="jp-PortalToken-kernels">
            {model.autoInject
              ? trans._n(
                  'Live in %1 kernel',
                  'Live in %1 kernels',
                  model.kernelCount
                )
              : trans.__(
                  'Not injected into kernels (turned off in the settings).'
                )}
          </p>
          <NotInjected model={model} trans={trans} />
          {model.injectionError && (
            <p className="jp-PortalToken-message jp-mod-error" role="alert">
              {model.injectionError}
            </p>
          )}
          <div className="jp-PortalToken-actions">
            {button(
              trans.__('Copy token'),
              () => void TokenActions.copy(model, trans)
            )}
            {model.expiringSoon &&
              model.canRenew &&
              button(
                trans.__('Renew token'),
                () => void TokenActions.renew(model, trans)
              )}
            {caps.revoke
              ? button(
                  trans.__('Revoke token'),
                  () => void TokenActions.revoke(model, trans),
                  { warn: true }
                )
              : button(
                  trans.__('Remove from kernels'),
                  () => void TokenActions.forget(model, trans),
                  { warn: true }
                )}
          </div>
          {caps.singleToken ? (
            <SignOut model={model} trans={trans} busy={busy} />
          ) : (
            <PortalTokens model={model} trans={trans} busy={busy} />
          )}
        </>
      );
      break;
    case 'stored':
      body = (
        <>
          <p>{trans.__('You have an API token at %1.', label)}</p>
          {token?.created && (
            <p>
              {trans.__(
                'Created %1',
                formatDate(token.created, token.precision)
              )}
            </p>
          )}
          <Expiry model={model} trans={trans} />
          <p>
            {model.server
              ? trans.__(
                  'Its secret is not known here (it was made outside JupyterLab), so kernels cannot get it. Replace it to use a token in your kernels.'
                )
              : trans.__(
                  'Its secret is not known here (it was made in the portal, or before this page was loaded), so kernels cannot get it. Replace it to use a token in your kernels.'
                )}
          </p>
          <div className="jp-PortalToken-actions">
            {caps.create &&
              caps.revoke &&
              button(
                trans.__('Replace token'),
                () => void TokenActions.replace(model, trans)
              )}
            {caps.revoke &&
              button(
                trans.__('Revoke token'),
                () => void TokenActions.revoke(model, trans),
                { warn: true }
              )}
          </div>
          <SignOut model={model} trans={trans} busy={busy} />
        </>
      );
      break;
    case 'expired':
      body = (
        <>
          <p className="jp-PortalToken-message jp-mod-warning">
            {token?.expires
              ? trans.__(
                  'Your API token expired on %1. It was removed from the kernels.',
                  formatDate(token.expires, token.precision)
                )
              : trans.__('Your API token has expired.')}
          </p>
          {caps.create &&
            caps.revoke &&
            button(
              trans.__('Replace token'),
              () => void TokenActions.replace(model, trans)
            )}
          <SignOut model={model} trans={trans} busy={busy} />
        </>
      );
      break;
  }
  return (
    <div
      className={`jp-PortalToken-body jp-mod-${model.state}`}
      aria-busy={busy}
    >
      {body}
      {model.client.manageUrl && (
        <p>
          <a
            className="jp-PortalToken-link"
            href={model.client.manageUrl}
            target="_blank"
            rel="noopener noreferrer"
          >
            {trans.__('Manage tokens in %1', label)}
          </a>
        </p>
      )}
      <div role="status" className="jp-PortalToken-progress">
        {model.activity ? progress[model.activity] : ''}
      </div>
      {model.error && (
        <div className="jp-PortalToken-message jp-mod-error" role="alert">
          {describeError(model.error, label, trans)}
        </div>
      )}
    </div>
  );
}

/**
 * For portals that keep several tokens: the create form (folded while a token is in use), the
 * portal's list, and signing out of a panel sign-in.
 */
function PortalTokens(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
  busy: boolean;
}): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  const live = model.state === 'live';
  const form = caps.create && (
    <CreateForm
      model={model}
      trans={trans}
      busy={busy}
      submitLabel={
        live ? trans.__('Generate a new token') : trans.__('Generate token')
      }
    />
  );
  return (
    <>
      {form &&
        (live ? (
          <details className="jp-PortalToken-more">
            <summary>{trans.__('New token…')}</summary>
            <p>
              {trans.__(
                'A new token takes the place of the current one in your kernels.'
              )}
            </p>
            {form}
          </details>
        ) : (
          form
        ))}
      {caps.list && <TokenList model={model} trans={trans} busy={busy} />}
      <SignOut model={model} trans={trans} busy={busy} />
    </>
  );
}

/**
 * Signing out of a panel sign-in (portals whose credentials are `sign-in`), in every state
 * that is signed in; nothing for other portals.
 */
function SignOut(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
  busy: boolean;
}): JSX.Element | null {
  const { model, trans, busy } = props;
  if (model.client.capabilities.credentials !== 'sign-in') {
    return null;
  }
  return (
    <button
      type="button"
      className="jp-Button jp-mod-styled jp-mod-reject jp-PortalToken-button"
      disabled={busy}
      onClick={() => void model.signOut()}
      aria-label={trans.__('Sign out of %1', model.config.label)}
    >
      {trans.__('Sign out')}
    </button>
  );
}

/**
 * Where the live token is kept and what it reaches beyond the running kernels.
 */
function Keeping(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const server = model.server;
  if (server === undefined) {
    return null;
  }
  if (server === null || !model.keptByServer) {
    return (
      <p className="jp-PortalToken-keeping">
        {server === null
          ? trans.__(
              'Kept in this page only: reloading the page forgets it. Install the server half of jupyterlab-portal-token (pip install jupyterlab_portal_token, then restart JupyterLab) to keep it across reloads.'
            )
          : trans.__(
              'Kept in this page only: the Jupyter server did not take it, so reloading the page forgets it.'
            )}
      </p>
    );
  }
  const launchOff =
    server.launch.reason === 'gateway'
      ? trans.__(
          'A gateway serves the kernels, so new kernels get the token from this page, not at launch.'
        )
      : trans.__(
          'The administrator chose their own kernel manager, so new kernels get the token from this page, not at launch.'
        );
  return (
    <div className="jp-PortalToken-keeping">
      <p>
        {trans.__(
          'Token known here: the Jupyter server keeps it until it expires or is revoked, across reloads.'
        )}
      </p>
      {model.autoInject && (
        <p>
          {server.launch.kernels
            ? trans.__(
                'Every kernel started or restarted gets it, in any language.'
              )
            : launchOff}
        </p>
      )}
      {server.terminals && model.injectTerminals && (
        <p>
          {trans.__(
            'New terminals get it too; terminals opened before keep what they had.'
          )}
        </p>
      )}
    </div>
  );
}

/**
 * Kernels that do not hold the token, and why.
 */
function NotInjected(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const others = model.kernels.filter(kernel => kernel.state !== 'injected');
  if (others.length === 0) {
    return null;
  }
  const name = (kernel: IKernelInjectionStatus) =>
    `${kernel.language || kernel.kernelName} (${kernel.kernelId.slice(0, 8)})`;
  return (
    <div className="jp-PortalToken-notInjected">
      <ul aria-label={trans.__('Kernels without the token')}>
        {others.map(kernel => (
          <li key={kernel.kernelId}>
            {kernel.state === 'pending'
              ? trans.__('Injecting into %1 kernel…', name(kernel))
              : trans.__(
                  'Not injected into %1 kernel: %2',
                  name(kernel),
                  kernel.reason ?? kernel.state
                )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Expiry(props: {
  model: PortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const token = model.token;
  if (!token) {
    return null;
  }
  if (!token.expires) {
    return <p>{trans.__('Never expires')}</p>;
  }
  const soon = model.expiringSoon;
  return (
    <p
      className={`jp-PortalToken-expiry${soon ? ' jp-mod-warning' : ''}`}
      title={
        token.precision === 'hour'
          ? trans.__('The portal gives the expiry to the hour.')
          : undefined
      }
    >
      {trans.__(
        'Expires %1 (%2)',
        formatDate(token.expires, token.precision),
        formatRelative(token.expires)
      )}
      {soon && <> {trans.__('— renew soon')}</>}
    </p>
  );
}

namespace Private {
  export function slug(id: string): string {
    return id.replace(/[^A-Za-z0-9_-]/g, '_');
  }
}
