import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { TokenActions } from '../actions';
import type { PortalTokenModel } from '../model';
import type { ICreateOptions } from '../tokens';

/**
 * Props of the panel's forms.
 */
export interface IFormProps {
  model: PortalTokenModel;
  trans: TranslationBundle;
  /** Disable the inputs while the model is busy. */
  busy: boolean;
}

/**
 * Username and password for portals signed in from the panel. The password lives in this
 * form's state only until it is submitted.
 */
export function SignInForm(props: IFormProps): JSX.Element {
  const { model, trans, busy } = props;
  const [username, setUsername] = React.useState('');
  const [password, setPassword] = React.useState('');
  const [problem, setProblem] = React.useState<string | null>(null);
  const id = Private.idFor(model, 'signin');
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setProblem(trans.__('Enter your username and password.'));
      return;
    }
    setProblem(null);
    const credentials = { username: username.trim(), password };
    setPassword('');
    void model.signIn(credentials);
  };
  return (
    <form
      className="jp-PortalToken-form"
      onSubmit={submit}
      aria-label={trans.__('Sign in to %1', model.config.label)}
      noValidate
    >
      <Field id={`${id}-user`} label={trans.__('Username')}>
        <input
          id={`${id}-user`}
          className="jp-mod-styled"
          type="text"
          autoComplete="username"
          value={username}
          disabled={busy}
          aria-invalid={problem !== null && !username.trim()}
          onChange={event => setUsername(event.target.value)}
        />
      </Field>
      <Field id={`${id}-password`} label={trans.__('Password')}>
        <input
          id={`${id}-password`}
          className="jp-mod-styled"
          type="password"
          autoComplete="current-password"
          value={password}
          disabled={busy}
          aria-invalid={problem !== null && !password}
          onChange={event => setPassword(event.target.value)}
        />
      </Field>
      <Problem text={problem} />
      <button
        type="submit"
        className="jp-Button jp-mod-styled jp-mod-accept jp-PortalToken-button"
        disabled={busy}
      >
        {trans.__('Sign in')}
      </button>
    </form>
  );
}

/**
 * What a portal's create call takes, as its capabilities declare: credentials, label, lifetime,
 * type. Checks the input before anything is sent.
 */
export function CreateForm(
  props: IFormProps & { submitLabel: string }
): JSX.Element {
  const { model, trans, busy } = props;
  const caps = model.client.capabilities;
  const perCreate = caps.credentials === 'per-create';
  const [username, setUsername] = React.useState('');
  const [password, setPassword] = React.useState('');
  const [label, setLabel] = React.useState('');
  const [lifetime, setLifetime] = React.useState('');
  const [type, setType] = React.useState(caps.types[0] ?? '');
  const [problems, setProblems] = React.useState<Record<string, string>>({});
  const id = Private.idFor(model, 'create');

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (perCreate && !username.trim()) {
      found.username = trans.__('Enter your username.');
    }
    if ((perCreate || caps.needsPassword) && !password) {
      found.password = trans.__('Enter your password.');
    }
    if (
      caps.label &&
      caps.labelMaxLength !== undefined &&
      label.length > caps.labelMaxLength
    ) {
      found.label = trans.__(
        'At most %1 characters (now %2).',
        caps.labelMaxLength,
        label.length
      );
    }
    let hours: number | undefined = undefined;
    if (caps.lifetime && lifetime.trim() !== '') {
      hours = Number(lifetime);
      if (!Number.isInteger(hours) || hours < 0) {
        found.lifetime = trans.__('A whole number of hours, 0 or more.');
      }
    }
    setProblems(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const options: ICreateOptions = {};
    if (perCreate) {
      options.username = username.trim();
    }
    if (perCreate || caps.needsPassword) {
      options.password = password;
    }
    if (caps.label) {
      options.label = label;
    }
    if (hours !== undefined) {
      options.lifetimeHours = hours;
    }
    if (caps.types.length > 0) {
      options.type = type;
    }
    // The password is sent once: the form forgets it now.
    setPassword('');
    void TokenActions.generate(model, trans, options);
  };

  const input = (
    name: string,
    text: string,
    element: (fieldId: string, invalid: boolean) => JSX.Element,
    hint?: string
  ) => {
    const fieldId = `${id}-${name}`;
    return (
      <Field
        id={fieldId}
        label={text}
        hint={hint}
        problem={problems[name]}
        key={name}
      >
        {element(fieldId, !!problems[name])}
      </Field>
    );
  };
  const describedBy = (fieldId: string, name: string, hint?: boolean) =>
    [hint ? `${fieldId}-hint` : '', problems[name] ? `${fieldId}-problem` : '']
      .filter(Boolean)
      .join(' ') || undefined;

  return (
    <form
      className="jp-PortalToken-form"
      onSubmit={submit}
      aria-label={trans.__('New token at %1', model.config.label)}
      noValidate
    >
      {caps.replacesAll && (
        <p className="jp-PortalToken-message jp-mod-warning" role="note">
          {trans.__(
            'Creating a token at %1 deletes all of your other %1 tokens, also those used elsewhere.',
            model.config.label
          )}
        </p>
      )}
      {perCreate &&
        input('username', trans.__('Username'), (fieldId, invalid) => (
          <input
            id={fieldId}
            className="jp-mod-styled"
            type="text"
            autoComplete="username"
            value={username}
            disabled={busy}
            aria-invalid={invalid}
            aria-describedby={describedBy(fieldId, 'username')}
            onChange={event => setUsername(event.target.value)}
          />
        ))}
      {(perCreate || caps.needsPassword) &&
        input(
          'password',
          trans.__('Password'),
          (fieldId, invalid) => (
            <input
              id={fieldId}
              className="jp-mod-styled"
              type="password"
              autoComplete="current-password"
              value={password}
              disabled={busy}
              aria-invalid={invalid}
              aria-describedby={describedBy(fieldId, 'password', true)}
              onChange={event => setPassword(event.target.value)}
            />
          ),
          trans.__('Sent once to %1, never kept.', model.config.label)
        )}
      {caps.types.length > 0 &&
        input('type', trans.__('Type'), fieldId => (
          <select
            id={fieldId}
            className="jp-mod-styled"
            value={type}
            disabled={busy}
            onChange={event => setType(event.target.value)}
          >
            {caps.types.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        ))}
      {caps.label &&
        input('label', trans.__('Label'), (fieldId, invalid) => (
          <input
            id={fieldId}
            className="jp-mod-styled"
            type="text"
            value={label}
            disabled={busy}
            aria-invalid={invalid}
            aria-describedby={describedBy(fieldId, 'label')}
            placeholder={trans.__('e.g. JupyterLab')}
            onChange={event => setLabel(event.target.value)}
          />
        ))}
      {caps.lifetime &&
        input(
          'lifetime',
          trans.__('Lifetime (hours)'),
          (fieldId, invalid) => (
            <input
              id={fieldId}
              className="jp-mod-styled"
              type="number"
              min={0}
              step={1}
              inputMode="numeric"
              value={lifetime}
              disabled={busy}
              aria-invalid={invalid}
              aria-describedby={describedBy(fieldId, 'lifetime', true)}
              onChange={event => setLifetime(event.target.value)}
            />
          ),
          caps.zeroLifetime === 'never'
            ? trans.__('0 or empty: never expires.')
            : trans.__("0 or empty: the portal's default.")
        )}
      <button
        type="submit"
        className="jp-Button jp-mod-styled jp-mod-accept jp-PortalToken-button"
        disabled={busy}
      >
        {props.submitLabel}
      </button>
    </form>
  );
}

/**
 * A labelled input with an optional hint and problem text, tied to it for screen readers.
 */
function Field(props: {
  id: string;
  label: string;
  hint?: string;
  problem?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-PortalToken-field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <span id={`${props.id}-hint`} className="jp-PortalToken-hint">
          {props.hint}
        </span>
      )}
      {props.problem && (
        <span
          id={`${props.id}-problem`}
          className="jp-PortalToken-fieldProblem"
          role="alert"
        >
          {props.problem}
        </span>
      )}
    </div>
  );
}

function Problem(props: { text: string | null }): JSX.Element | null {
  return props.text ? (
    <p className="jp-PortalToken-fieldProblem" role="alert">
      {props.text}
    </p>
  ) : null;
}

namespace Private {
  export function idFor(model: PortalTokenModel, form: string): string {
    return `jp-PortalToken-${form}-${model.config.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }
}
