import type { TranslationBundle } from '@jupyterlab/translation';
import type { ICreateOptions, IPortalCapabilities } from '../tokens';

/**
 * What a person typed into one of the panel's forms.
 */
export interface IFormInput {
  username: string;
  password: string;
  label: string;
  /** Hours, as typed. */
  lifetime: string;
  type: string;
}

/**
 * The panel's forms: sign in (username and password), or a new token.
 */
export type FormKind = 'sign-in' | 'create';

/**
 * A form's fields.
 */
export type FormField = keyof IFormInput;

/**
 * Which of the fields a form asks for: sign in (username and password), or a new token as
 * the portal's capabilities declare it.
 */
export interface IFormFields {
  username: boolean;
  password: boolean;
  label: boolean;
  labelMaxLength?: number;
  lifetime: boolean;
  types: string[];
}

/**
 * The fields of the sign-in form (`sign-in`) or of the create form (`create`).
 */
export function formFields(
  caps: IPortalCapabilities,
  form: FormKind
): IFormFields {
  if (form === 'sign-in') {
    return {
      username: true,
      password: true,
      label: false,
      lifetime: false,
      types: []
    };
  }
  const perCreate = caps.credentials === 'per-create';
  return {
    username: perCreate,
    password: perCreate || caps.needsPassword,
    label: caps.label,
    labelMaxLength: caps.labelMaxLength,
    lifetime: caps.lifetime,
    types: caps.types
  };
}

/**
 * Check a form before anything is sent. Either `problems` by field (translated), or the
 * `options` to send: only the fields the form asks for, the username trimmed, an empty
 * lifetime left out.
 */
export function checkForm(
  input: IFormInput,
  fields: IFormFields,
  trans: TranslationBundle
): { problems: Partial<Record<FormField, string>>; options: ICreateOptions } {
  const problems: Partial<Record<FormField, string>> = {};
  const options: ICreateOptions = {};
  const username = input.username.trim();
  if (fields.username) {
    options.username = username;
    if (!username) {
      problems.username = trans.__('Enter your username.');
    }
  }
  if (fields.password) {
    options.password = input.password;
    if (!input.password) {
      problems.password = trans.__('Enter your password.');
    }
  }
  if (fields.label) {
    options.label = input.label;
    const max = fields.labelMaxLength;
    if (max !== undefined && input.label.length > max) {
      problems.label = trans.__(
        'At most %1 characters (now %2).',
        max,
        input.label.length
      );
    }
  }
  if (fields.lifetime && input.lifetime.trim() !== '') {
    const hours = Number(input.lifetime);
    if (!Number.isInteger(hours) || hours < 0) {
      problems.lifetime = trans.__('A whole number of hours, 0 or more.');
    } else {
      options.lifetimeHours = hours;
    }
  }
  if (fields.types.length > 0) {
    options.type = fields.types.includes(input.type)
      ? input.type
      : fields.types[0];
  }
  return { problems, options };
}
