import { PortalTokenModel } from '../model';
import { AxivionClient } from '../portals/axivion';
import { PortalError } from '../portals/errors';
import { SodarClient } from '../portals/sodar';
import type {
  ICreatedToken,
  ICreateOptions,
  ICredentials,
  IPortalCapabilities,
  IPortalClient,
  IPortalStatus,
  IPortalTokenModel,
  ITokenInfo
} from '../tokens';
import { RecordingInjector } from './model-fakes';

const HOUR = 60 * 60 * 1000;

/**
 * An in-memory portal that keeps several tokens per user and is signed in from the panel (as
 * Axivion), or, with `perCreate`, one that can neither list nor revoke (as SODAR). The real
 * clients are tested against the demo portal in src/portals/__tests__.
 */
class MemoryMultiPortal implements IPortalClient {
  constructor(perCreate = false) {
    // What Axivion's and SODAR's clients declare, so the model is tested against both shapes.
    this.capabilities = perCreate
      ? SodarClient.CAPABILITIES
      : AxivionClient.CAPABILITIES;
  }
  readonly config = {
    id: 'multi',
    kind: 'memory',
    label: 'Multi',
    url: 'http://portal.invalid/',
    envVars: { token: 'MULTI_TOKEN' }
  };
  readonly capabilities: IPortalCapabilities;
  readonly signInUrl = this.config.url;
  user: string | null = null;
  tokens: (ITokenInfo & { id: string })[] = [];
  lastCreate: ICreateOptions | undefined;
  private _count = 0;

  async status(): Promise<IPortalStatus> {
    if (this.capabilities.credentials === 'per-create') {
      return { signedIn: true, available: true, tokens: [] };
    }
    return this.user
      ? { signedIn: true, available: true, tokens: [...this.tokens] }
      : { signedIn: false, available: true, tokens: [] };
  }
  async signIn(credentials: ICredentials): Promise<void> {
    if (credentials.password !== 'right') {
      throw new PortalError({ reason: 'bad-credentials', status: 401 });
    }
    this.user = credentials.username;
  }
  signOut(): void {
    this.user = null;
  }
  async create(options?: ICreateOptions): Promise<ICreatedToken> {
    this.lastCreate = options;
    this._count += 1;
    const token = {
      id: `t${this._count}`,
      label: options?.label,
      expires: new Date(Date.now() + (options?.lifetimeHours ?? 24) * HOUR),
      valid: true,
      precision: 'second' as const
    };
    this.tokens.push(token);
    return { ...token, secret: `multi-secret-${this._count}` };
  }
  async revoke(id?: string): Promise<void> {
    this.tokens = this.tokens.filter(token => token.id !== id);
  }
  async revokeMany(ids: string[]): Promise<void> {
    this.tokens = this.tokens.filter(token => !ids.includes(token.id));
  }
  environment(secret: string): Record<string, string> {
    return { token: secret };
  }
}

describe('PortalTokenModel with a portal that keeps several tokens', () => {
  let portal: MemoryMultiPortal;
  let injector: RecordingInjector;
  let model: IPortalTokenModel;

  beforeEach(async () => {
    portal = new MemoryMultiPortal();
    injector = new RecordingInjector();
    model = new PortalTokenModel({ client: portal, injector });
    await model.refresh();
  });

  afterEach(() => model.dispose());

  it('starts signed out, refuses a wrong password, then lists after signing in', async () => {
    expect(model.state).toBe('signed-out');
    expect(await model.signIn({ username: 'demo', password: 'wrong' })).toBe(
      false
    );
    expect(model.error?.reason).toBe('bad-credentials');
    expect(model.state).toBe('signed-out');

    portal.tokens.push({
      id: 'old',
      label: 'made elsewhere',
      expires: null,
      valid: true,
      precision: 'second'
    });
    expect(await model.signIn({ username: 'demo', password: 'right' })).toBe(
      true
    );
    expect(model.state).toBe('none');
    expect(model.error).toBeNull();
    expect(model.tokens.map(token => token.label)).toEqual(['made elsewhere']);
  });

  it('creates with the options, injects, and lists the new token', async () => {
    await model.signIn({ username: 'demo', password: 'right' });
    const options = { label: 'lab', lifetimeHours: 3, type: 'General' };
    expect(await model.generate(options)).toBe(true);
    expect(portal.lastCreate).toEqual(options);
    expect(model.state).toBe('live');
    expect(injector.live.get('multi')).toEqual({
      MULTI_TOKEN: 'multi-secret-1'
    });
    expect(model.tokens.map(token => token.id)).toEqual(['t1']);
  });

  it('revoking another token keeps the live one in the kernels', async () => {
    await model.signIn({ username: 'demo', password: 'right' });
    await model.generate({ label: 'other' });
    await model.generate({ label: 'mine' });
    expect(injector.live.get('multi')).toEqual({
      MULTI_TOKEN: 'multi-secret-2'
    });
    expect(await model.revoke('t1')).toBe(true);
    expect(model.state).toBe('live');
    expect(injector.live.has('multi')).toBe(true);
    expect(model.tokens.map(token => token.id)).toEqual(['t2']);
  });

  it('revoking the live token (alone or in a bulk revoke) scrubs the kernels', async () => {
    await model.signIn({ username: 'demo', password: 'right' });
    await model.generate({ label: 'a' });
    expect(await model.revoke('t1')).toBe(true);
    expect(model.state).toBe('none');
    expect(injector.live.has('multi')).toBe(false);

    await model.generate({ label: 'b' });
    await model.generate({ label: 'c' });
    expect(await model.revokeMany(['t2', 't3'])).toBe(true);
    expect(model.state).toBe('none');
    expect(injector.live.has('multi')).toBe(false);
    expect(model.tokens).toEqual([]);
  });

  it('a live token revoked or invalidated elsewhere is scrubbed on the next refresh', async () => {
    await model.signIn({ username: 'demo', password: 'right' });
    await model.generate({ label: 'a' });
    portal.tokens[0].valid = false;
    await model.refresh();
    expect(model.state).toBe('none');
    expect(injector.live.has('multi')).toBe(false);
  });

  it('signing out scrubs the kernels and forgets the list', async () => {
    await model.signIn({ username: 'demo', password: 'right' });
    await model.generate({ label: 'a' });
    expect(await model.signOut()).toBe(true);
    expect(model.state).toBe('signed-out');
    expect(model.tokens).toEqual([]);
    expect(injector.live.has('multi')).toBe(false);
    expect(portal.user).toBeNull();
  });
});

describe('PortalTokenModel with a portal that can neither list nor revoke', () => {
  it('keeps the live token across refreshes, and forgets it on request', async () => {
    const portal = new MemoryMultiPortal(true);
    const injector = new RecordingInjector();
    const model: IPortalTokenModel = new PortalTokenModel({
      client: portal,
      injector
    });
    await model.refresh();
    expect(model.state).toBe('none');
    await model.generate({ username: 'demo', password: 'pw', label: 'x' });
    expect(model.state).toBe('live');
    await model.refresh();
    expect(model.state).toBe('live');
    expect(injector.live.get('multi')).toEqual({
      MULTI_TOKEN: 'multi-secret-1'
    });
    model.forget();
    expect(model.state).toBe('none');
    expect(injector.live.has('multi')).toBe(false);
    // Forgetting is local: the portal still has the token.
    expect(portal.tokens).toHaveLength(1);
    model.dispose();
  });
});
