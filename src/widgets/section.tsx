import type { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { describeError, TokenActions } from '../actions';
import { CommandIDs } from '../commands';
import type {
  ConfigProblem,
  IPortalEntry,
  IPortalTokenModel,
  TokenState
} from '../tokens';
import type { FormKind } from './checks';
import { formatDate, formatRelative, formatShort } from './format';
import { liveCounts, liveLine, TerminalList } from './live';
import { PortalForm } from './forms';
import { Action, ActionKind, PortalLink } from './parts';
import { TokenList } from './token-list';

/**
 * Props of a portal's card.
 */
export interface IPortalSectionProps {
  entry: IPortalEntry;
  model: IPortalTokenModel | null;
  trans: TranslationBundle;
  /** The app's commands, for the "use it" buttons (none without). */
  commands: CommandRegistry | null;
  /** Whether the card is unfolded. */
  open: boolean;
  onToggle: (open: boolean) => void;
}

/**
 * One portal in the panel, as a card that folds: its label and a state chip, then what its
 * state offers (one small component per state) and the actions its client declares.
 */
export function PortalSection(props: IPortalSectionProps): JSX.Element {
  const { entry, model, trans } = props;
  const slug = entry.id.replace(/[^A-Za-z0-9_-]/g, '_');
  const headingId = `jp-PortalToken-heading-${slug}`;
  const card = (chip: IChip, body: JSX.Element) => (
    <>
      <div className="jp-PortalToken-cardHeader">
        <h3 id={headingId} className="jp-PortalToken-sectionTitle">
          <button
            type="button"
            className="jp-PortalToken-toggle"
            aria-expanded={props.open}
            aria-controls={`${headingId}-body`}
            onClick={() => props.onToggle(!props.open)}
          >
            <span className="jp-PortalToken-caret" aria-hidden="true" />
            {entry.label}
          </button>
        </h3>
        <span className={`jp-PortalToken-chip jp-mod-${chip.mod}`}>
          {chip.text}
        </span>
      </div>
      <div id={`${headingId}-body`} hidden={!props.open}>
        {body}
      </div>
    </>
  );
  return (
    <section
      className="jp-PortalToken-section"
      aria-labelledby={headingId}
      data-portal={entry.id}
    >
      {model ? (
        <UseSignal signal={model.changed}>
          {() =>
            card(
              chipOf(model, trans),
              <PortalBody
                model={model}
                trans={trans}
                commands={props.commands}
              />
            )
          }
        </UseSignal>
      ) : (
        card(
          { text: trans.__('Misconfigured'), mod: 'error' },
          <ConfigProblems problems={entry.problems} trans={trans} />
        )
      )}
    </section>
  );
}

/**
 * A state in one or two words, and its style.
 */
interface IChip {
  text: string;
  mod: 'ok' | 'warning' | 'error' | 'idle';
}

function chipOf(model: IPortalTokenModel, trans: TranslationBundle): IChip {
  const left = model.timeLeft;
  switch (model.state) {
    case 'loading':
      return { text: trans.__('Checking…'), mod: 'idle' };
    case 'unreachable':
      return { text: trans.__('Unreachable'), mod: 'error' };
    case 'signed-out':
      return model.client.capabilities.credentials === 'portal-origin'
        ? { text: trans.__('Not set up here'), mod: 'warning' }
        : { text: trans.__('Signed out'), mod: 'idle' };
    case 'unavailable':
      return { text: trans.__('Not set up here'), mod: 'warning' };
    case 'none':
      return { text: trans.__('No token'), mod: 'idle' };
    case 'live':
      if (left === null) {
        return { text: trans.__('Live'), mod: 'ok' };
      }
      return model.expiringSoon
        ? { text: trans.__('Expires in %1', formatShort(left)), mod: 'warning' }
        : { text: trans.__('Live · %1', formatShort(left)), mod: 'ok' };
    case 'stored':
      return { text: trans.__('Made elsewhere'), mod: 'idle' };
    case 'expired':
      return { text: trans.__('Expired'), mod: 'error' };
  }
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

/**
 * What every state's component gets: the model, whether it is busy, and the card's open
 * form (sign in, or a new token), which closes when the state changes.
 */
interface IStateProps {
  model: IPortalTokenModel;
  trans: TranslationBundle;
  busy: boolean;
  commands: CommandRegistry | null;
  form: FormKind | null;
  setForm: (form: FormKind | null) => void;
}

function PortalBody(props: {
  model: IPortalTokenModel;
  trans: TranslationBundle;
  commands: CommandRegistry | null;
}): JSX.Element {
  const { model, trans } = props;
  const label = model.config.label;
  const busy = model.activity !== null;
  // A form belongs to the state it was opened in: signed in, or a first token made, it closes.
  const [opened, setOpened] = React.useState<{
    form: FormKind;
    state: TokenState;
  } | null>(null);
  const form = opened?.state === model.state ? opened.form : null;
  React.useEffect(() => {
    if (opened && opened.state !== model.state) {
      setOpened(null);
    }
  }, [model.state]);
  const setForm = (next: FormKind | null) =>
    setOpened(next ? { form: next, state: model.state } : null);
  const State = STATES[model.state];
  const progress = {
    checking: trans.__('Checking %1…', label),
    'signing-in': trans.__('Signing in to %1…', label),
    'signing-out': trans.__('Signing out of %1…', label),
    generating: trans.__('Generating a token…'),
    revoking: trans.__('Revoking the token…')
  };
  return (
    <div
      className={`jp-PortalToken-body jp-mod-${model.state}`}
      aria-busy={busy}
    >
      <State
        model={model}
        trans={trans}
        busy={busy}
        commands={props.commands}
        form={form}
        setForm={setForm}
      />
      {model.client.manageUrl && (
        <p>
          <PortalLink
            href={model.client.manageUrl}
            text={trans.__('Manage tokens in %1', label)}
          />
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

function Unreachable({ model, trans, busy }: IStateProps): JSX.Element {
  return (
    <>
      <p>
        {trans.__(
          'The state of your token at %1 is unknown.',
          model.config.label
        )}
      </p>
      <Action
        label={trans.__('Retry')}
        disabled={busy}
        onClick={() => void model.refresh()}
      />
    </>
  );
}

function SignedOut(props: IStateProps): JSX.Element {
  const { model, trans } = props;
  const label = model.config.label;
  switch (model.client.capabilities.credentials) {
    case 'portal-origin':
      return (
        <p className="jp-PortalToken-message jp-mod-warning">
          {trans.__(
            "%1 signs you in through single sign-on, which works only in pages on its own origin (%2). This JupyterLab is served from another one, so the panel cannot manage your %1 tokens here: JupyterLab must be served from the portal's origin. Ask your administrator.",
            label,
            new URL(model.config.url).origin
          )}
        </p>
      );
    case 'sign-in':
      return (
        <>
          <p>{trans.__('Sign in to %1 to manage your API tokens.', label)}</p>
          <FormOrOpener
            {...props}
            which="sign-in"
            opener={trans.__('Sign in…')}
            submit={trans.__('Sign in')}
          />
        </>
      );
    default:
      return (
        <>
          <p>{trans.__('You are not signed in to %1.', label)}</p>
          <PortalLink
            href={model.client.signInUrl}
            text={trans.__('Sign in to %1', label)}
          />
        </>
      );
  }
}

function Unavailable(props: IStateProps): JSX.Element {
  return (
    <>
      <p>
        {props.trans.__(
          '%1 is not configured for API tokens (the portal offers no token API).',
          props.model.config.label
        )}
      </p>
      <SignOut {...props} />
    </>
  );
}

function NoToken(props: IStateProps): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  if (!caps.singleToken) {
    return (
      <>
        <p>
          {trans.__('No token from %1 is in use here.', model.config.label)}
        </p>
        <PortalTokens {...props} />
      </>
    );
  }
  return (
    <>
      <p>{trans.__('You have no API token at %1.', model.config.label)}</p>
      <div className="jp-PortalToken-actions">
        {caps.create && (
          <Action
            label={trans.__('Generate token')}
            disabled={busy}
            onClick={() => void TokenActions.generate(model, trans)}
          />
        )}
        <SignOut {...props} />
      </div>
    </>
  );
}

function Live(props: IStateProps): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  // The one primary action: renewing when the token is about to expire, else using it.
  const renew = model.expiringSoon && model.canRenew;
  return (
    <>
      <p className="jp-PortalToken-secret">
        <span className="jp-PortalToken-label">{trans.__('Token')}</span>{' '}
        <code aria-hidden="true">
          {model.secretPreview === null
            ? '••••••••'
            : `${model.secretPreview}…`}
        </code>
        <span className="jp-PortalToken-srOnly">
          {model.secretPreview === null
            ? trans.__('hidden')
            : trans.__('starts with %1, the rest hidden', model.secretPreview)}
        </span>
      </p>
      <Expiry model={model} trans={trans} />
      <Kernels model={model} trans={trans} />
      {model.injectionError && (
        <p className="jp-PortalToken-message jp-mod-error" role="alert">
          {model.injectionError}
        </p>
      )}
      <div className="jp-PortalToken-actions">
        {renew && (
          <Action
            label={trans.__('Renew token')}
            disabled={busy}
            onClick={() => void TokenActions.renew(model, trans)}
          />
        )}
        <UseIt {...props} primary={!renew} />
        <Action
          kind="secondary"
          label={trans.__('Copy token')}
          disabled={busy}
          onClick={() => void TokenActions.copy(model, trans)}
        />
        {caps.revoke ? (
          <Action
            kind="secondary"
            label={trans.__('Revoke token')}
            disabled={busy}
            onClick={() => void TokenActions.revoke(model, trans)}
          />
        ) : (
          <Action
            kind="secondary"
            label={trans.__('Remove from kernels')}
            disabled={busy}
            onClick={() => void TokenActions.forget(model, trans)}
          />
        )}
        {caps.singleToken && <SignOut {...props} />}
      </div>
      {!caps.singleToken && <PortalTokens {...props} />}
    </>
  );
}

function Stored(props: IStateProps): JSX.Element {
  const { model, trans } = props;
  const token = model.token;
  return (
    <>
      <p>{trans.__('You have an API token at %1.', model.config.label)}</p>
      {token?.created && (
        <p>
          {trans.__('Created %1', formatDate(token.created, token.precision))}
        </p>
      )}
      <Expiry model={model} trans={trans} />
      <p>
        {trans.__(
          'Its secret is not known here (it was made outside JupyterLab), so kernels cannot get it. Replace it to use a token in your kernels.'
        )}
      </p>
      <ReplaceOrRevoke {...props} revoke={true} />
    </>
  );
}

function Expired(props: IStateProps): JSX.Element {
  const { model, trans } = props;
  const token = model.token;
  return (
    <>
      <p className="jp-PortalToken-message jp-mod-warning">
        {token?.expires
          ? trans.__(
              'Your API token expired on %1. It was removed from the kernels.',
              formatDate(token.expires, token.precision)
            )
          : trans.__('Your API token has expired.')}
      </p>
      <ReplaceOrRevoke {...props} revoke={false} />
    </>
  );
}

/**
 * One component per state of the model; `loading` shows nothing yet.
 */
const STATES: Record<TokenState, (props: IStateProps) => JSX.Element | null> = {
  loading: () => null,
  unreachable: Unreachable,
  'signed-out': SignedOut,
  unavailable: Unavailable,
  none: NoToken,
  live: Live,
  stored: Stored,
  expired: Expired
};

/**
 * "Replace token" where the portal can (and "Revoke token" if asked), then signing out.
 */
function ReplaceOrRevoke(
  props: IStateProps & { revoke: boolean }
): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  return (
    <div className="jp-PortalToken-actions">
      {caps.create && caps.revoke && (
        <Action
          label={trans.__('Replace token')}
          disabled={busy}
          onClick={() => void TokenActions.replace(model, trans)}
        />
      )}
      {props.revoke && caps.revoke && (
        <Action
          kind="secondary"
          label={trans.__('Revoke token')}
          disabled={busy}
          onClick={() => void TokenActions.revoke(model, trans)}
        />
      )}
      <SignOut {...props} />
    </div>
  );
}

/**
 * A form on demand: its opener ("Sign in…", "New token…"), or the form once opened.
 */
function FormOrOpener(
  props: IStateProps & {
    which: FormKind;
    opener: string;
    /** The opener's style: the view's primary action unless said otherwise. */
    kind?: ActionKind;
    submit: string;
    note?: string;
  }
): JSX.Element {
  const { model, trans, busy } = props;
  // Closed with Cancel or Escape: the focus goes back to the opener, not to the page.
  const closed = React.useRef(false);
  if (props.form !== props.which) {
    return (
      <Action
        kind={props.kind}
        label={props.opener}
        disabled={busy}
        focus={closed.current}
        onClick={() => props.setForm(props.which)}
      />
    );
  }
  return (
    <>
      {props.note && <p>{props.note}</p>}
      <PortalForm
        model={model}
        trans={trans}
        busy={busy}
        form={props.which}
        submitLabel={props.submit}
        onClose={() => {
          closed.current = true;
          props.setForm(null);
        }}
      />
    </>
  );
}

/**
 * For portals that keep several tokens: "New token…" (the create form on demand), the
 * portal's list, and signing out of a panel sign-in.
 */
function PortalTokens(props: IStateProps): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  const live = model.state === 'live';
  return (
    <>
      {caps.create && (
        <FormOrOpener
          {...props}
          which="create"
          kind={live ? 'secondary' : 'accept'}
          opener={trans.__('New token…')}
          note={
            live
              ? trans.__(
                  'A new token takes the place of the current one in your kernels.'
                )
              : undefined
          }
          submit={
            live ? trans.__('Generate a new token') : trans.__('Generate token')
          }
        />
      )}
      {caps.list && <TokenList model={model} trans={trans} busy={busy} />}
      <SignOut {...props} />
    </>
  );
}

/**
 * Signing out of a panel sign-in (portals whose credentials are `sign-in`), in every state
 * that is signed in; nothing for other portals.
 */
function SignOut({ model, trans, busy }: IStateProps): JSX.Element | null {
  if (model.client.capabilities.credentials !== 'sign-in') {
    return null;
  }
  return (
    <Action
      kind="secondary"
      label={trans.__('Sign out')}
      name={trans.__('Sign out of %1', model.config.label)}
      disabled={busy}
      onClick={() => void model.signOut()}
    />
  );
}

/**
 * "Insert into notebook" and "Copy snippet" for the live token: the app's snippet commands,
 * shown when they exist and enabled as they say; with `primary`, the first that can run is
 * the card's primary action.
 */
function UseIt(props: IStateProps & { primary: boolean }): JSX.Element | null {
  const { model, trans, commands } = props;
  if (!commands) {
    return null;
  }
  const args = { portal: model.config.id };
  const buttons = [
    [CommandIDs.insertSnippet, trans.__('Insert into notebook')],
    [CommandIDs.copySnippet, trans.__('Copy snippet')]
  ];
  return (
    <UseSignal signal={commands.commandChanged}>
      {() => {
        const shown = buttons
          .filter(([id]) => commands.hasCommand(id))
          .map(([id, label]) => ({
            id,
            label,
            enabled: commands.isEnabled(id, args)
          }));
        // The primary action is the first that can run (no notebook open: copying).
        const primary = props.primary
          ? shown.find(button => button.enabled)
          : undefined;
        return shown.length === 0 ? null : (
          <div
            className="jp-PortalToken-group"
            role="group"
            aria-label={trans.__('Use the token')}
          >
            {shown.map(button => (
              <Action
                key={button.id}
                kind={button === primary ? 'accept' : 'secondary'}
                label={button.label}
                disabled={!button.enabled}
                onClick={() => void commands.execute(button.id, args)}
              />
            ))}
          </div>
        );
      }}
    </UseSignal>
  );
}

/**
 * "Live in 2 kernels, 1 terminal", unfolding to each kernel (name, language, state): those
 * that could not get the token say why; then the terminals (./live.tsx). Where the token is
 * kept, and what it reaches beyond them.
 */
function Kernels(props: {
  model: IPortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  if (!model.autoInject) {
    return (
      <>
        <p>
          {trans.__('Not injected into kernels (turned off in the settings).')}
        </p>
        <Keeping model={model} trans={trans} />
      </>
    );
  }
  const kernels = model.kernels;
  const missing = kernels.some(kernel => kernel.state !== 'injected');
  const state = (kernel: (typeof kernels)[number]) => {
    switch (kernel.state) {
      case 'injected':
        return trans.__('has the token');
      case 'pending':
        return trans.__('injecting…');
      default:
        return trans.__('not injected: %1', kernel.reason ?? kernel.state);
    }
  };
  // Kept in this page only is a warning: not folded away.
  const kept = !!model.server && model.keptByServer;
  return (
    <>
      <details className="jp-PortalToken-kernels" open={missing}>
        <summary>{liveLine(liveCounts(model), trans)}</summary>
        {kernels.length > 0 && (
          <ul aria-label={trans.__('Kernels')}>
            {kernels.map(kernel => (
              <li
                key={kernel.kernelId}
                className={kernel.state === 'injected' ? '' : 'jp-mod-warning'}
              >
                {`${kernel.kernelName} (${kernel.kernelId.slice(0, 8)}) · ${kernel.language || '?'} · ${state(kernel)}`}
              </li>
            ))}
          </ul>
        )}
        <TerminalList model={model} trans={trans} />
        {kept && <Keeping model={model} trans={trans} />}
      </details>
      {!kept && <Keeping model={model} trans={trans} />}
    </>
  );
}

/**
 * Where the live token is kept and what it reaches beyond the running kernels.
 */
function Keeping(props: {
  model: IPortalTokenModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  const server = model.server;
  if (server === undefined) {
    return null;
  }
  if (server === null || !model.keptByServer) {
    return (
      <p className="jp-PortalToken-keeping jp-mod-warning">
        {server === null
          ? trans.__(
              'Kept in this page only: reloading the page forgets it. The server half of jupyterlab-portal-token (pip install jupyterlab_portal_token) keeps it across reloads.'
            )
          : trans.__(
              'Kept in this page only: the Jupyter server did not take it, so reloading the page forgets it.'
            )}
      </p>
    );
  }
  const launch = server.launch.kernels
    ? trans.__('Every kernel started or restarted gets it, in any language.')
    : trans.__(
        'New kernels get it from this page, not at launch (a gateway serves them, or the administrator chose their own kernel manager).'
      );
  return (
    <div className="jp-PortalToken-keeping">
      <p>
        {trans.__(
          'Token known here: the Jupyter server keeps it until it expires or is revoked, across reloads.'
        )}
      </p>
      {model.autoInject && <p>{launch}</p>}
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

function Expiry(props: {
  model: IPortalTokenModel;
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
    <p className={`jp-PortalToken-expiry${soon ? ' jp-mod-warning' : ''}`}>
      {trans.__(
        'Expires %1 (%2)',
        formatDate(token.expires, token.precision),
        formatRelative(token.expires)
      )}
      {soon && <> {trans.__('— renew soon')}</>}
    </p>
  );
}
