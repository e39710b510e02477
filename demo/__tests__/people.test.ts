/**
 * The people's side of the demo portal: sign-in page, home page, sign-out, the API token page.
 */
import { browser, cookieHeader, useDemoPortal } from './demo-portal';

const portal = useDemoPortal({ logger: 'silent' });
const browse = browser(portal);

async function signInAs(username: string, password: string) {
  const response = await browse('rest/auth/login', {
    form: { username, password, redirect: '1' }
  });
  expect(response.status).toBe(303);
  return cookieHeader(response);
}

describe('sign-in page', () => {
  it('offers labelled fields and a Sign in button that posts to the login route', async () => {
    const response = await browse('');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<form method="post" action="\/rest\/auth\/login">/);
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<input id="username" name="username"/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(
      /<input id="password" name="password" type="password"/
    );
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('shows an alert after a wrong password and keeps the user name', async () => {
    const response = await browse('rest/auth/login', {
      form: { username: 'demo', password: 'wrong', redirect: '1' }
    });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
    const html = await response.text();
    expect(html).toContain(
      '<p id="signin-error" class="error" role="alert">Invalid username or password.</p>'
    );
    expect(html).toMatch(/value="demo" aria-invalid="true"/);
  });

  it('sends the person on after signing in, and only within the portal', async () => {
    const honoured = await browse('rest/auth/login', {
      form: {
        username: 'demo',
        password: 'demo',
        redirect: '1',
        next: '/profile/api-token'
      }
    });
    expect(honoured.status).toBe(303);
    expect(honoured.headers.get('location')).toBe('/profile/api-token');

    for (const next of [
      '//evil.example/',
      'https://evil.example/',
      '/\\evil'
    ]) {
      const refused = await browse('rest/auth/login', {
        form: { username: 'demo', password: 'demo', redirect: '1', next }
      });
      expect(refused.headers.get('location')).toBe('/');
    }
  });

  it('carries ?next= from the gate into the form', async () => {
    const html = await (await browse('?next=%2Fjupyter%2Flab')).text();
    expect(html).toContain(
      '<input type="hidden" name="next" value="/jupyter/lab">'
    );
  });
});

describe('signed in', () => {
  it('shows who is signed in and a Sign out button that ends the session', async () => {
    const cookie = await signInAs('demo', 'demo');
    const home = await (await browse('', { cookie })).text();
    expect(home).toContain('Signed in as demo');
    expect(home).toMatch(/<button type="submit">Sign out<\/button>/);
    // No JupyterLab in this portal, so no link to it.
    expect(home).not.toContain('Open JupyterLab');

    const out = await browse('rest/auth/logout', {
      cookie,
      form: { redirect: '1' }
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(out.headers.getSetCookie().join('\n')).toMatch(/PHPSESSID=;/);

    const after = await (await browse('', { cookie })).text();
    expect(after).toContain('Sign in to Open XDMoD');
  });

  it('goes straight on to ?next= when already signed in', async () => {
    const cookie = await signInAs('demo', 'demo');
    const response = await browse('?next=%2Fprofile%2Fapi-token', { cookie });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/profile/api-token');
  });
});

describe('API token page', () => {
  it('sends a stranger to sign in first', async () => {
    const response = await browse('profile/api-token');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/?next=/profile/api-token');
  });

  it('lets a person generate a token, see it once, and delete it', async () => {
    const cookie = await signInAs('alice', 'alice-password');
    const empty = await (await browse('profile/api-token', { cookie })).text();
    expect(empty).toContain('You have no API token.');

    const generated = await browse('profile/api-token', {
      cookie,
      form: { action: 'create' }
    });
    expect(generated.status).toBe(200);
    const html = await generated.text();
    const token = /<code aria-label="New API token">([^<]+)<\/code>/.exec(
      html
    )?.[1];
    expect(token).toMatch(/^42\.[0-9a-f]{64}$/);
    expect(html).toContain('<button type="submit">Delete API token</button>');

    const shown = await (await browse('profile/api-token', { cookie })).text();
    expect(shown).toContain('You have an API token.');
    expect(shown).not.toContain(token as string);

    const data = await fetch(`${portal.url}rest/v1/warehouse/resources`, {
      headers: { Authorization: `Bearer ${token}` }
    });
    expect(data.status).toBe(200);

    const deleted = await browse('profile/api-token', {
      cookie,
      form: { action: 'delete' }
    });
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toContain('Your API token was deleted.');

    const refused = await fetch(`${portal.url}rest/v1/warehouse/resources`, {
      headers: { Authorization: `Bearer ${token}` }
    });
    expect(refused.status).toBe(401);
    expect((await refused.json()).message).toBe('Invalid token.');
  });
});

describe('without JupyterLab', () => {
  it('answers 404 under /jupyter/ for a signed-in person', async () => {
    const cookie = await signInAs('demo', 'demo');
    const response = await browse('jupyter/lab', { cookie });
    expect(response.status).toBe(404);
  });

  it('lands on the home page after signing in', async () => {
    const response = await browse('rest/auth/login', {
      form: { username: 'demo', password: 'demo', redirect: '1' }
    });
    expect(response.headers.get('location')).toBe('/');
  });
});
