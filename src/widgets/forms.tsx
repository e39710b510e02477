import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { TokenActions } from '../actions';
import type { IPortalTokenModel } from '../tokens';
import {
  checkForm,
  FormField,
  formFields,
  type FormKind,
  IFormInput
} from './checks';
import { Action } from './parts';

/**
 * Props of the panel's form.
 */
export interface IFormProps {
  model: IPortalTokenModel;
  trans: TranslationBundle;
  /** Sign in (username and password), or a new token. */
  form: FormKind;
  /** Disable the inputs while the model is busy. */
  busy: boolean;
  /** The submit button's text. */
  submitLabel: string;
  /** Close the form: cancelled (Escape, Cancel), or done. */
  onClose: () => void;
}

/**
 * Sign-in or create form, with the fields the portal's capabilities declare. Checked before
 * anything is sent; submitted with Enter. The password lives in this form's state only until
 * it is submitted.
 */
export function PortalForm(props: IFormProps): JSX.Element {
  const { model, trans, busy, form } = props;
  const caps = model.client.capabilities;
  const fields = formFields(caps, form);
  const [input, setInput] = React.useState<IFormInput>({
    username: '',
    password: '',
    label: '',
    lifetime: '',
    type: caps.types[0] ?? ''
  });
  const [problems, setProblems] = React.useState<
    Partial<Record<FormField, string>>
  >({});
  const id = `jp-PortalToken-${form}-${model.config.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const label = model.config.label;

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const checked = checkForm(input, fields, trans);
    setProblems(checked.problems);
    if (Object.keys(checked.problems).length > 0) {
      return;
    }
    // The password is sent once: the form forgets it now.
    setInput({ ...input, password: '' });
    const { options } = checked;
    if (form === 'sign-in') {
      // Signed in, the card leaves the signed-out state and the form with it.
      void model.signIn({
        username: options.username!,
        password: options.password!
      });
    } else {
      void TokenActions.generate(model, trans, options).then(
        done => done && props.onClose()
      );
    }
  };

  const field = (
    name: FormField,
    text: string,
    control: (attributes: Record<string, unknown>) => JSX.Element,
    hint?: string
  ) => {
    const fieldId = `${id}-${name}`;
    const problem = problems[name];
    const describedBy =
      [hint && `${fieldId}-hint`, problem && `${fieldId}-problem`]
        .filter(Boolean)
        .join(' ') || undefined;
    return (
      <div className="jp-PortalToken-field">
        <label htmlFor={fieldId}>{text}</label>
        {control({
          id: fieldId,
          className: 'jp-mod-styled',
          disabled: busy,
          value: input[name],
          'aria-invalid': !!problem,
          'aria-describedby': describedBy,
          onChange: (
            event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>
          ) => setInput({ ...input, [name]: event.target.value })
        })}
        {hint && (
          <span id={`${fieldId}-hint`} className="jp-PortalToken-hint">
            {hint}
          </span>
        )}
        {problem && (
          <span
            id={`${fieldId}-problem`}
            className="jp-PortalToken-fieldProblem"
            role="alert"
          >
            {problem}
          </span>
        )}
      </div>
    );
  };

  return (
    <form
      className="jp-PortalToken-form"
      onSubmit={submit}
      onKeyDown={event => event.key === 'Escape' && props.onClose()}
      aria-label={
        form === 'sign-in'
          ? trans.__('Sign in to %1', label)
          : trans.__('New token at %1', label)
      }
      noValidate
    >
      {form === 'create' && caps.replacesAll && (
        <p className="jp-PortalToken-message jp-mod-warning" role="note">
          {trans.__(
            'Creating a token at %1 deletes all of your other %1 tokens, also those used elsewhere.',
            label
          )}
        </p>
      )}
      <CredentialsFields
        fields={fields}
        field={field}
        trans={trans}
        hint={
          form === 'create'
            ? trans.__('Sent once to %1, never kept.', label)
            : undefined
        }
      />
      {fields.types.length > 0 &&
        field('type', trans.__('Type'), attributes => (
          <select {...attributes}>
            {fields.types.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        ))}
      {fields.label &&
        field('label', trans.__('Label'), attributes => (
          <input
            {...attributes}
            type="text"
            placeholder={trans.__('e.g. JupyterLab')}
          />
        ))}
      {fields.lifetime &&
        field(
          'lifetime',
          trans.__('Lifetime (hours)'),
          attributes => (
            <input
              {...attributes}
              type="number"
              min={0}
              step={1}
              inputMode="numeric"
            />
          ),
          caps.zeroLifetime === 'never'
            ? trans.__('0 or empty: never expires.')
            : trans.__("0 or empty: the portal's default.")
        )}
      <div className="jp-PortalToken-actions">
        <Action type="submit" disabled={busy} label={props.submitLabel} />
        <Action
          kind="reject"
          label={trans.__('Cancel')}
          onClick={props.onClose}
        />
      </div>
    </form>
  );
}

/**
 * Username and password, for signing in and for portals that take them with each new token.
 * The first field takes the focus when the form opens.
 */
function CredentialsFields(props: {
  fields: ReturnType<typeof formFields>;
  field: (
    name: FormField,
    text: string,
    control: (attributes: Record<string, unknown>) => JSX.Element,
    hint?: string
  ) => JSX.Element;
  trans: TranslationBundle;
  hint?: string;
}): JSX.Element {
  const { fields, field, trans } = props;
  return (
    <>
      {fields.username &&
        field('username', trans.__('Username'), attributes => (
          <input
            {...attributes}
            type="text"
            autoComplete="username"
            autoFocus
          />
        ))}
      {fields.password &&
        field(
          'password',
          trans.__('Password'),
          attributes => (
            <input
              {...attributes}
              type="password"
              autoComplete="current-password"
              autoFocus={!fields.username}
            />
          ),
          props.hint
        )}
    </>
  );
}
