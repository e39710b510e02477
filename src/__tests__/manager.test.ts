import { BroadcastChannel } from 'node:worker_threads';
import { XdmodClient } from '../portals/xdmod';
import { PortalError } from '../portals/errors';
import { RecordingInjector } from './model-fakes';
import { readPortals } from '../config';
import { PortalTokenManager } from '../manager';
import { PortalRegistry } from '../portals/registry';
import type {
  ICreatedToken,
  IPortalClient,
  IPortalConfig,
  IPortalStatus,
  ITokenInfo
} from '../tokens';

const ORIGIN = 'https://lab.example.org';

/**
 * A signed-in portal without a token that creates one on request (the XDMoD client itself is
 * tested against the demo portal in src/portals/__tests__).
 */
class EmptyPortal implements IPortalClient {
  constructor(readonly config: IPortalConfig) {}
  readonly capabilities = XdmodClient.CAPABILITIES;
  get signInUrl(): string {
    return this.config.url;
  }
  created = 0;
  statusCalls = 0;
  token: ITokenInfo | null = null;
  /** Whether the portal cannot be reached. */
  failing = false;
  async status(): Promise<IPortalStatus> {
    this.statusCalls += 1;
    if (this.failing) {
      throw new PortalError({ reason: 'network' });
    }
    return {
      signedIn: true,
      available: true,
      tokens: this.token ? [this.token] : []
    };
  }
  async create(): Promise<ICreatedToken> {
    this.created += 1;
    this.token = {
      expires: new Date(Date.now() + 1e9),
      precision: 'second'
    };
    return { ...this.token, secret: 's3cret-value' };
  }
  async revoke(): Promise<void> {
    this.token = null;
  }
  environment(secret: string): Record<string, string> {
    return { token: secret };
  }
}

function registry(): PortalRegistry {
  const registry = new PortalRegistry();
  registry.register('empty', config => new EmptyPortal(config), {
    token: 'EMPTY_TOKEN'
  });
  return registry;
}

describe('readPortals', () => {
  it('resolves relative URLs against the origin and fills default variable names', () => {
    const [entry] = readPortals(
      [{ id: 'xdmod', kind: 'xdmod', url: '/xdmod' }],
      registry(),
      ORIGIN
    );
    expect(entry.problems).toEqual([]);
    expect(entry.config).toEqual({
      id: 'xdmod',
      kind: 'xdmod',
      label: 'xdmod',
      url: 'https://lab.example.org/xdmod/',
      envVars: { token: 'XDMOD_API_TOKEN', host: 'XDMOD_HOST' },
      passwordSignIn: true,
      // JupyterLab's own origin: called from the page.
      via: 'browser'
    });
  });

  it('keeps an administrator\'s "no password sign-in" (single sign-on)', () => {
    const entries = readPortals(
      [
        { id: 'a', kind: 'xdmod', url: 'https://xdmod.example.org/' },
        {
          id: 'b',
          kind: 'xdmod',
          url: 'https://xdmod.example.org/',
          passwordSignIn: false
        }
      ],
      registry(),
      ORIGIN
    );
    expect(entries.map(entry => entry.config?.passwordSignIn)).toEqual([
      true,
      false
    ]);
  });

  it('leaves the way to another origin to the client, unless the settings choose it', () => {
    const entries = readPortals(
      [
        { id: 'a', kind: 'sodar', url: 'https://sodar.example.org/' },
        {
          id: 'b',
          kind: 'sodar',
          url: 'https://sodar.example.org/',
          via: 'browser'
        },
        { id: 'c', kind: 'sodar', url: '/sodar/', via: 'server' },
        { id: 'd', kind: 'sodar', url: '/sodar/', via: 'proxy' }
      ],
      registry(),
      ORIGIN
    );
    expect(entries.map(entry => entry.config?.via)).toEqual([
      'auto',
      'browser',
      'server',
      undefined
    ]);
    expect(entries[3].problems).toEqual([{ kind: 'bad-via', value: 'proxy' }]);
  });

  it('explains every bad entry and keeps the good ones', () => {
    const entries = readPortals(
      [
        { id: 'a', kind: 'nope' },
        { id: 'b', kind: 'xdmod', url: 'javascript:alert(1)' },
        { id: 'c', kind: 'xdmod', envVars: { token: '1BAD-NAME' } },
        { id: 'd', kind: 'xdmod', envVars: { host: '' } },
        { id: 'f', kind: 'xdmod', envVars: { token: ' ' } },
        { id: 'd', kind: 'xdmod' },
        { kind: 'xdmod' }
      ],
      registry(),
      ORIGIN
    );
    expect(entries.map(entry => entry.problems.map(p => p.kind))).toEqual([
      ['unknown-kind'],
      ['bad-url'],
      ['bad-variable'],
      [],
      ['empty-token-variable'],
      ['duplicate-id'],
      ['missing-id']
    ]);
    // An empty name switches that variable off.
    expect(entries[3].config?.envVars).toEqual({
      token: 'XDMOD_API_TOKEN',
      host: ''
    });
  });
});

describe('PortalTokenManager', () => {
  const settings = {
    portals: [{ id: 'e', kind: 'empty', label: 'Empty' }],
    autoInject: true,
    warnBeforeExpiryDays: 7,
    autoGenerate: false
  };

  it('fetches a built-in client only for a configured kind, then applies the settings in order', async () => {
    const kinds = new PortalRegistry();
    const config = {
      id: 'x',
      kind: 'xdmod',
      label: 'X',
      url: 'http://127.0.0.1:1/xdmod/',
      envVars: {}
    };
    // Not loaded until a portal of the kind is configured.
    expect(() => kinds.create(config)).toThrow('not loaded');
    const manager = new PortalTokenManager({ registry: kinds, origin: ORIGIN });
    const first = manager.apply({
      ...settings,
      portals: [{ id: 'x', kind: 'xdmod', url: 'http://127.0.0.1:1/xdmod/' }]
    });
    const second = manager.apply({
      ...settings,
      portals: [
        { id: 'x', kind: 'xdmod', url: 'http://127.0.0.1:1/xdmod/' },
        { id: 's', kind: 'sodar', url: 'http://127.0.0.1:1/sodar/' }
      ]
    });
    await first;
    expect(manager.models.map(model => model.config.id)).toEqual(['x']);
    expect(manager.models[0].client).toBeInstanceOf(XdmodClient);
    expect(() => kinds.create({ ...config, kind: 'axivion' })).toThrow(
      'not loaded'
    );
    await second;
    expect(manager.models.map(model => model.config.id)).toEqual(['x', 's']);
    manager.dispose();
  });

  it('keeps a portal model (and its token) across unrelated settings changes', async () => {
    const manager = new PortalTokenManager({
      registry: registry(),
      origin: ORIGIN
    });
    manager.configure(settings);
    await manager.checkNew();
    const model = manager.models[0];
    await model.generate();
    expect(model.state).toBe('live');
    manager.configure({ ...settings, warnBeforeExpiryDays: 3 });
    expect(manager.models[0]).toBe(model);
    expect(model.state).toBe('live');
    manager.configure({
      ...settings,
      portals: [{ id: 'e', kind: 'empty', label: 'Renamed' }]
    });
    expect(manager.models[0]).not.toBe(model);
    expect(model.isDisposed).toBe(true);
    manager.dispose();
  });

  it('generates on start when autoGenerate is on and there is no token', async () => {
    const manager = new PortalTokenManager({
      registry: registry(),
      origin: ORIGIN
    });
    manager.configure({ ...settings, autoGenerate: true });
    await manager.checkNew();
    expect(manager.models[0].state).toBe('live');
    expect((manager.models[0].client as EmptyPortal).created).toBe(1);
    manager.dispose();
  });

  it('does not generate on start by default', async () => {
    const manager = new PortalTokenManager({
      registry: registry(),
      origin: ORIGIN
    });
    manager.configure(settings);
    await manager.checkNew();
    expect(manager.models[0].state).toBe('none');
    expect((manager.models[0].client as EmptyPortal).created).toBe(0);
    manager.dispose();
  });

  /** A manager with one portal of the kind `empty`, checked once. */
  async function oneEmptyPortal() {
    const manager = new PortalTokenManager({
      registry: registry(),
      origin: ORIGIN
    });
    manager.configure(settings);
    await manager.checkNew();
    const model = manager.models[0];
    return { manager, model, portal: model.client as EmptyPortal };
  }

  describe('watch', () => {
    let hidden = false;
    beforeAll(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible')
      });
    });
    afterAll(() => {
      delete (document as unknown as Record<string, unknown>).visibilityState;
    });
    beforeEach(() => {
      hidden = false;
      jest.useFakeTimers();
    });
    afterEach(() => jest.useRealTimers());

    it('notices a live token revoked elsewhere within a minute, and asks nothing while hidden', async () => {
      const { manager, model, portal } = await oneEmptyPortal();
      const watcher = manager.watch({ pollMs: 60000 });

      // No live token: a quiet minute costs the portal nothing.
      const quiet = portal.statusCalls;
      await jest.advanceTimersByTimeAsync(60000);
      expect(portal.statusCalls).toBe(quiet);

      await model.generate();
      expect(model.state).toBe('live');
      // Hidden: ten minutes without a single request, even once it is revoked elsewhere.
      hidden = true;
      const before = portal.statusCalls;
      portal.token = null;
      await jest.advanceTimersByTimeAsync(10 * 60000);
      expect(portal.statusCalls).toBe(before);
      expect(model.state).toBe('live');

      // Visible again: asked at once, and the dead token leaves the kernels.
      hidden = false;
      document.dispatchEvent(new Event('visibilitychange'));
      await jest.advanceTimersByTimeAsync(0);
      expect(model.state).toBe('none');

      // While visible, the minute's poll finds a revocation too.
      await model.generate();
      portal.token = null;
      await jest.advanceTimersByTimeAsync(59000);
      expect(model.state).toBe('live');
      await jest.advanceTimersByTimeAsync(1000);
      expect(model.state).toBe('none');

      // Shown again (focus and visibilitychange together): every portal is asked, once.
      // After dispose, nothing is.
      const onFocus = portal.statusCalls;
      window.dispatchEvent(new Event('focus'));
      document.dispatchEvent(new Event('visibilitychange'));
      await jest.advanceTimersByTimeAsync(0);
      expect(portal.statusCalls).toBe(onFocus + 1);
      watcher.dispose();
      window.dispatchEvent(new Event('focus'));
      await model.generate();
      await jest.advanceTimersByTimeAsync(5 * 60000);
      expect(portal.statusCalls).toBe(onFocus + 1);
      manager.dispose();
    });
  });

  describe('watch, when a portal does not answer', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('asks less often while it fails, and every minute again once it answers', async () => {
      const { manager, model, portal } = await oneEmptyPortal();
      await model.generate();
      const watcher = manager.watch({ pollMs: 60000 });
      portal.failing = true;
      const before = portal.statusCalls;
      await jest.advanceTimersByTimeAsync(60000);
      expect(portal.statusCalls).toBe(before + 1);
      // Backing off: fewer than one a minute (ten minutes at most between them).
      await jest.advanceTimersByTimeAsync(20 * 60000);
      const failed = portal.statusCalls - before;
      expect(failed).toBeGreaterThanOrEqual(3);
      expect(failed).toBeLessThan(15);
      expect(model.state).toBe('live');
      // Back: once a round works, the minute's cadence returns.
      portal.failing = false;
      await jest.advanceTimersByTimeAsync(10 * 60000);
      const answered = portal.statusCalls;
      await jest.advanceTimersByTimeAsync(60000);
      expect(portal.statusCalls).toBe(answered + 1);
      await jest.advanceTimersByTimeAsync(60000);
      expect(portal.statusCalls).toBe(answered + 2);
      watcher.dispose();
      manager.dispose();
    });
  });

  describe('share', () => {
    /** One portal that both tabs talk to: one token per user, as XDMoD. */
    class SharedPortal implements IPortalClient {
      constructor(
        readonly config: IPortalConfig,
        private _state: { token: ITokenInfo | null; serial: number }
      ) {}
      readonly capabilities = XdmodClient.CAPABILITIES;
      get signInUrl(): string {
        return this.config.url;
      }
      async status(): Promise<IPortalStatus> {
        const token = this._state.token;
        return {
          signedIn: true,
          available: true,
          tokens: token ? [token] : []
        };
      }
      async create(): Promise<ICreatedToken> {
        if (this._state.token) {
          throw new PortalError({ reason: 'conflict', status: 409 });
        }
        this._state.serial += 1;
        this._state.token = {
          expires: new Date(Date.now() + 1e9),
          precision: 'second'
        };
        return {
          ...this._state.token,
          secret: `tab-secret-${this._state.serial}`
        };
      }
      async revoke(): Promise<void> {
        this._state.token = null;
      }
      environment(secret: string): Record<string, string> {
        return { token: secret };
      }
    }

    async function until(condition: () => boolean): Promise<void> {
      for (let i = 0; i < 200 && !condition(); i++) {
        await new Promise(resolve => setTimeout(resolve, 10));
      }
      expect(condition()).toBe(true);
    }

    it('two tabs agree, and a token made in one never leaves the other injecting a dead one', async () => {
      const portalState = { token: null, serial: 0 };
      const tab = () => {
        const registry = new PortalRegistry();
        registry.register(
          'shared',
          config => new SharedPortal(config, portalState),
          { token: 'SHARED_TOKEN' }
        );
        const injector = new RecordingInjector();
        const manager = new PortalTokenManager({
          registry,
          injector,
          origin: ORIGIN
        });
        manager.configure({
          ...settings,
          portals: [{ id: 's', kind: 'shared', label: 'Shared' }]
        });
        // Node's BroadcastChannel: the same protocol as the browser's.
        const channel = new BroadcastChannel(PortalTokenManager.CHANNEL_NAME);
        const sharing = manager.share(
          channel as unknown as PortalTokenManager.IChannel
        );
        return {
          manager,
          injector,
          channel,
          sharing,
          model: () => manager.models[0]
        };
      };
      const a = tab();
      const b = tab();
      await a.manager.checkNew();
      await b.manager.checkNew();

      await a.model().generate();
      expect(a.injector.live.get('s')).toEqual({
        SHARED_TOKEN: 'tab-secret-1'
      });
      // B hears of it and shows the token as made elsewhere (its secret is not sent).
      await until(() => b.model().state === 'stored');
      expect(b.injector.live.has('s')).toBe(false);

      // B replaces it: A's token is dead, so A stops injecting it.
      await b.model().renew();
      expect(b.injector.live.get('s')).toEqual({
        SHARED_TOKEN: 'tab-secret-2'
      });
      await until(() => a.model().state === 'stored');
      expect(a.injector.live.has('s')).toBe(false);

      // B revokes: A shows that there is no token any more.
      await b.model().revoke();
      await until(() => a.model().state === 'none');

      for (const t of [a, b]) {
        t.sharing.dispose();
        t.channel.close();
        t.manager.dispose();
      }
    });
  });
});
