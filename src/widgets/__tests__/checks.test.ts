import { nullTranslator } from '@jupyterlab/translation';
import type { IPortalCapabilities } from '../../tokens';
import { checkForm, formFields, IFormInput } from '../checks';

const trans = nullTranslator.load('jupyterlab_portal_token');

const caps = (changes: Partial<IPortalCapabilities>): IPortalCapabilities => ({
  credentials: 'session',
  create: true,
  list: false,
  revoke: true,
  bulkRevoke: false,
  singleToken: true,
  replacesAll: false,
  label: false,
  lifetime: false,
  zeroLifetime: 'default',
  needsPassword: false,
  types: [],
  ...changes
});

const input = (changes: Partial<IFormInput> = {}): IFormInput => ({
  username: '',
  password: '',
  label: '',
  lifetime: '',
  type: '',
  ...changes
});

// As SODAR declares itself: username and password with every token, label up to 256, hours.
const sodar = caps({
  credentials: 'per-create',
  singleToken: false,
  replacesAll: true,
  label: true,
  labelMaxLength: 256,
  lifetime: true,
  zeroLifetime: 'never'
});

// As Axivion: signed in once, the password again for each token, types.
const axivion = caps({
  credentials: 'sign-in',
  singleToken: false,
  list: true,
  bulkRevoke: true,
  label: true,
  lifetime: true,
  needsPassword: true,
  types: ['General', 'IdePlugin']
});

describe('formFields', () => {
  it('asks username and password to sign in, whatever the portal', () => {
    expect(formFields(axivion, 'sign-in')).toEqual({
      username: true,
      password: true,
      label: false,
      lifetime: false,
      types: []
    });
  });

  it('asks for a new token what the capabilities declare', () => {
    expect(formFields(sodar, 'create')).toMatchObject({
      username: true,
      password: true,
      label: true,
      labelMaxLength: 256,
      lifetime: true,
      types: []
    });
    expect(formFields(axivion, 'create')).toMatchObject({
      username: false,
      password: true,
      types: ['General', 'IdePlugin']
    });
    expect(formFields(caps({}), 'create')).toMatchObject({
      username: false,
      password: false,
      label: false,
      lifetime: false
    });
  });
});

describe('checkForm', () => {
  it('names each missing credential, and a blank username is missing', () => {
    const { problems } = checkForm(
      input({ username: '   ' }),
      formFields(sodar, 'create'),
      trans
    );
    expect(problems).toEqual({
      username: 'Enter your username.',
      password: 'Enter your password.'
    });
  });

  it('sends only the fields the form asks for, the username trimmed', () => {
    const { problems, options } = checkForm(
      input({
        username: ' demo ',
        password: ' pw ',
        label: 'JupyterLab',
        lifetime: '5',
        type: 'IdePlugin'
      }),
      formFields(axivion, 'create'),
      trans
    );
    expect(problems).toEqual({});
    // No username for a signed-in portal; the password exactly as typed.
    expect(options).toEqual({
      password: ' pw ',
      label: 'JupyterLab',
      lifetimeHours: 5,
      type: 'IdePlugin'
    });
  });

  it('refuses a label over the limit and says how long it is', () => {
    const { problems } = checkForm(
      input({ username: 'demo', password: 'demo', label: 'x'.repeat(257) }),
      formFields(sodar, 'create'),
      trans
    );
    expect(problems).toEqual({ label: 'At most 256 characters (now 257).' });
    const fits = checkForm(
      input({ username: 'demo', password: 'demo', label: 'x'.repeat(256) }),
      formFields(sodar, 'create'),
      trans
    );
    expect(fits.problems).toEqual({});
  });

  it('takes a lifetime in whole hours, 0 included; empty leaves it out', () => {
    const fields = formFields(sodar, 'create');
    const hours = (lifetime: string) =>
      checkForm(
        input({ username: 'u', password: 'p', lifetime }),
        fields,
        trans
      );
    expect(hours('0').options.lifetimeHours).toBe(0);
    expect(hours('48').options.lifetimeHours).toBe(48);
    expect('lifetimeHours' in hours('  ').options).toBe(false);
    for (const bad of ['-1', '1.5', 'two', '1e400']) {
      expect(hours(bad).problems).toEqual({
        lifetime: 'A whole number of hours, 0 or more.'
      });
    }
  });

  it('sends a type the portal offers, else its default', () => {
    const fields = formFields(axivion, 'create');
    const typed = (type: string) =>
      checkForm(input({ password: 'p', type }), fields, trans).options.type;
    expect(typed('IdePlugin')).toBe('IdePlugin');
    expect(typed('Admin')).toBe('General');
  });
});
