/**
 * The portal clients through the Jupyter server's relay (the real server half in a real
 * Jupyter server) to the demo portal on another origin, which sends no CORS headers for it:
 * what a panel on a JupyterHub does for SODAR, Axivion and a cross-origin XDMoD.
 *
 * The relay reads the portals from the server's own settings files, as JupyterLab does; the
 * test writes the user's settings file before the server starts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import type { IRunningPortal } from '../../demo/src/server';
import { describeError } from '../actions';
import { ServerTokenBroker } from '../broker';
import { PortalTokenModel } from '../model';
import { AxivionClient } from '../portals/axivion';
import { SodarClient } from '../portals/sodar';
import { XdmodClient } from '../portals/xdmod';
import {
  armFault,
  rejection,
  startDemo
} from '../portals/__tests__/portal-helpers';
import type { IPortalConfig, IPortalTokenModel } from '../tokens';
import { TestServer } from './injection-server';
import { RecordingInjector } from './model-fakes';

const DEMO = { username: 'demo', password: 'demo' };

/** Jupyter's cookies, kept between calls as a browser would. */
const jar = new Map<string, string>();
const browserLike: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  if (jar.size > 0) {
    request.headers.set(
      'Cookie',
      Array.from(jar, ([name, value]) => `${name}=${value}`).join('; ')
    );
  }
  const response = await fetch(request);
  for (const line of response.headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return response;
};

describe('portal clients through the relay', () => {
  const server = new TestServer();
  let portal: IRunningPortal;
  const configs: Record<string, IPortalConfig> = {};

  /** What the portal's data route says to a token (called directly, as a kernel would). */
  async function dataStatus(url: string, headers: Record<string, string>) {
    const response = await fetch(url, { headers });
    await response.text();
    return response.status;
  }

  beforeAll(async () => {
    portal = await startDemo({ testHooks: true });
    const settings = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-settings-'));
    const portals = [
      { id: 'xdmod', kind: 'xdmod', label: 'XDMoD', url: portal.url },
      {
        id: 'sodar',
        kind: 'sodar',
        label: 'SODAR',
        url: portal.sodarUrl
      },
      {
        id: 'axivion',
        kind: 'axivion',
        label: 'Axivion',
        url: portal.axivionUrl
      }
    ];
    fs.mkdirSync(path.join(settings, 'jupyterlab-portal-token'));
    fs.writeFileSync(
      path.join(
        settings,
        'jupyterlab-portal-token',
        'plugin.jupyterlab-settings'
      ),
      JSON.stringify({ portals })
    );
    for (const { id, kind, label, url } of portals) {
      const envVars =
        kind === 'xdmod'
          ? XdmodClient.ENV_VARS
          : kind === 'sodar'
            ? SodarClient.ENV_VARS
            : AxivionClient.ENV_VARS;
      configs[id] = { id, kind, label, url, envVars, via: 'server' };
    }
    await server.start({}, { LabApp: { user_settings_dir: settings } });
  }, 60000);

  afterAll(async () => {
    await server.shutdown();
    await portal?.close();
  }, 30000);

  /**
   * Fetch options of a relayed client (what the registry gives a `via: server` portal), with a
   * fetch that keeps the Jupyter server's cookies as a browser does: the relay keeps a portal's
   * session per Jupyter user, and without its cookie each call would be a new anonymous one.
   */
  const relayed = (config: IPortalConfig) => ({
    relay: {
      portalId: config.id,
      portalUrl: config.url,
      serverSettings: ServerConnection.makeSettings({ fetch: browserLike })
    }
  });

  it('SODAR: a token made through the relay is accepted by SODAR', async () => {
    const client = new SodarClient(configs.sodar, relayed(configs.sodar));
    const created = await client.create({ ...DEMO, label: 'via the relay' });
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(
      await dataStatus(`${portal.sodarUrl}project/api/list`, {
        Authorization: `token ${created.secret}`,
        Accept:
          'application/vnd.bihealth.sodar-core.projectroles+json; version=1.0'
      })
    ).toBe(200);
    // A wrong password is the portal's 401, told as such.
    const wrong = await rejection(
      client.create({ username: 'demo', password: 'nope' })
    );
    expect(wrong.reason).toBe('bad-credentials');
  });

  it('Axivion: sign in, create, list and revoke through the relay', async () => {
    const client = new AxivionClient(configs.axivion, relayed(configs.axivion));
    await client.signIn(DEMO);
    const created = await client.create({
      password: DEMO.password,
      label: 'via the relay',
      type: 'General'
    });
    const basic = (token: string) =>
      `Basic ${Buffer.from(`demo:${token}`).toString('base64')}`;
    expect(
      await dataStatus(`${portal.axivionUrl}api/projects`, {
        Authorization: basic(created.secret),
        Accept: 'application/json',
        'X-Axivion-User-Agent': 'ApiClient'
      })
    ).toBe(200);
    const listed = await client.status();
    expect(listed.tokens.map(token => token.id)).toContain(created.id);
    await client.revoke(created.id);
    expect(
      await dataStatus(`${portal.axivionUrl}api/projects`, {
        Authorization: basic(created.secret),
        Accept: 'application/json',
        'X-Axivion-User-Agent': 'ApiClient'
      })
    ).toBe(401);
  });

  it('XDMoD on another origin behind single sign-on: no password asked, signed out', async () => {
    const config = { ...configs.xdmod, passwordSignIn: false };
    const client = new XdmodClient(config, relayed(config));
    expect(client.capabilities.credentials).toBe('portal-origin');
    expect((await client.status()).signedIn).toBe(false);
  });

  it('XDMoD on another origin: sign in with the password, then generate and revoke', async () => {
    const client = new XdmodClient(configs.xdmod, relayed(configs.xdmod));
    expect(client.capabilities.credentials).toBe('sign-in');
    expect((await client.status()).signedIn).toBe(false);
    const wrong = await rejection(
      client.signIn({ username: 'demo', password: 'nope' })
    );
    expect(wrong.reason).toBe('bad-credentials');
    await client.signIn(DEMO);
    // The session is the relay's (on the server): this client keeps no password.
    expect((await client.status()).signedIn).toBe(true);
    const created = await client.create();
    expect(
      await dataStatus(`${portal.url}rest/v1/warehouse/resources`, {
        Authorization: `Bearer ${created.secret}`
      })
    ).toBe(200);
    await client.revoke();
    expect(
      await dataStatus(`${portal.url}rest/v1/warehouse/resources`, {
        Authorization: `Bearer ${created.secret}`
      })
    ).toBe(401);
  });

  it('XDMoD on another origin: signing out closes the portal session and takes the token out of the kernels', async () => {
    const client = new XdmodClient(configs.xdmod, relayed(configs.xdmod));
    const injector = new RecordingInjector();
    const broker = new ServerTokenBroker();
    const model: IPortalTokenModel = new PortalTokenModel({
      client,
      injector,
      broker
    });
    try {
      expect(await model.signIn(DEMO)).toBe(true);
      expect(await model.generate()).toBe(true);
      expect(model.state).toBe('live');
      const secret = await model.revealSecret();
      expect(injector.live.get('xdmod')?.XDMOD_API_TOKEN).toBe(secret);
      expect((await broker.list()).map(kept => kept.portal)).toContain('xdmod');

      // A slow logout, and a check asked meanwhile (the window's focus, another tab): it must
      // not find the session still open and show the user signed in again.
      await armFault(portal.url, {
        route: 'POST /rest/auth/logout',
        hangMs: 300,
        times: 1
      });
      const signedOut = model.signOut();
      const refreshed = model.refresh();
      expect(await signedOut).toBe(true);
      expect(await refreshed).toBe(true);
      expect(model.state).toBe('signed-out');
      expect(model.error).toBeNull();
      // The relay's session at the portal is closed, not only forgotten by the page.
      expect((await client.status()).signedIn).toBe(false);
      // The kernels and the Jupyter server no longer have the token...
      expect(injector.live.has('xdmod')).toBe(false);
      expect((await broker.list()).map(kept => kept.portal)).not.toContain(
        'xdmod'
      );
      // ...but signing out revokes nothing: the portal still takes it.
      expect(
        await dataStatus(`${portal.url}rest/v1/warehouse/resources`, {
          Authorization: `Bearer ${secret}`
        })
      ).toBe(200);
    } finally {
      model.dispose();
    }
  });

  it('refuses a portal the server is not configured with, and says why', async () => {
    const stranger = {
      ...configs.sodar,
      id: 'stranger'
    };
    const refused = await rejection(
      new SodarClient(stranger, relayed(stranger)).create(DEMO)
    );
    expect(refused.reason).toBe('relay');
    expect(refused.portalMessage).toContain('stranger');
  });
});

describe('the relay turned off by the administrator', () => {
  const server = new TestServer();
  let portal: IRunningPortal;

  beforeAll(async () => {
    portal = await startDemo({ testHooks: true });
    await server.start({}, { PortalTokenRelay: { enabled: false } });
  }, 60000);

  afterAll(async () => {
    await server.shutdown();
    await portal?.close();
  }, 30000);

  it('each portal kind says what the administrator turned off', async () => {
    const trans = nullTranslator.load('jupyterlab_portal_token');
    const config = (kind: string, url: string): IPortalConfig => ({
      id: kind,
      kind,
      label: 'Portal',
      url,
      envVars: {},
      via: 'server'
    });
    const relayed = (c: IPortalConfig) => ({
      relay: { portalId: c.id, portalUrl: c.url }
    });
    // Each kind's first call to its portal.
    const calls = [
      () =>
        new SodarClient(
          config('sodar', portal.sodarUrl),
          relayed(config('sodar', portal.sodarUrl))
        ).create(DEMO),
      () =>
        new AxivionClient(
          config('axivion', portal.axivionUrl),
          relayed(config('axivion', portal.axivionUrl))
        ).signIn(DEMO),
      () =>
        new XdmodClient(
          config('xdmod', portal.url),
          relayed(config('xdmod', portal.url))
        ).status()
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expect(error.reason).toBe('relay');
      expect(describeError(error, 'Portal', trans)).toContain(
        'PortalTokenRelay.enabled'
      );
    }
  });
});
