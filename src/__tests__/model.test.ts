import { PortalTokenModel } from '../model';
import { PortalError } from '../portals/errors';
import type { IPortalTokenModel } from '../tokens';
import { MemoryPortal, RecordingInjector } from './model-fakes';
import { showsSecret } from './own-strings';

const DAY = 24 * 60 * 60 * 1000;

describe('PortalTokenModel', () => {
  let portal: MemoryPortal;
  let injector: RecordingInjector;
  let model: IPortalTokenModel;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-23T10:00:00Z') });
    portal = new MemoryPortal();
    injector = new RecordingInjector();
    model = new PortalTokenModel({
      client: portal,
      injector,
      warnBeforeExpiryDays: 7
    });
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it('starts loading, then follows what the portal says', async () => {
    expect(model.state).toBe('loading');
    portal.signedIn = false;
    await model.refresh();
    expect(model.state).toBe('signed-out');
    portal.signedIn = true;
    await model.refresh();
    expect(model.state).toBe('none');
  });

  it('generates a live token, injects it by variable name, and shows only a preview', async () => {
    await model.refresh();
    expect(await model.generate()).toBe(true);
    expect(model.state).toBe('live');
    expect(model.secretPreview).toBe('secret-1');
    expect(injector.live.get('mem')).toEqual({
      MEM_TOKEN: 'secret-1-abcdefgh',
      MEM_HOST: 'http://portal.invalid'
    });
    expect(model.kernelCount).toBe(1);
  });

  it('keeps the secret out of its own properties (console, JSON, other extensions)', async () => {
    await model.refresh();
    await model.generate();
    expect(await model.revealSecret()).toBe('secret-1-abcdefgh');
    expect(showsSecret(model, 'secret-1-abcdefgh')).toBe(false);
  });

  it('warns when fewer than warnBeforeExpiryDays remain, then expires and scrubs', async () => {
    portal.lifetimeMs = 10 * DAY;
    const notices: string[] = [];
    model.expiryNotice.connect((_, kind) => notices.push(kind));
    await model.refresh();
    await model.generate();
    expect(model.expiringSoon).toBe(false);

    jest.advanceTimersByTime(3 * DAY - 1000);
    expect(model.expiringSoon).toBe(false);
    expect(notices).toEqual([]);

    jest.advanceTimersByTime(2000);
    expect(model.expiringSoon).toBe(true);
    expect(notices).toEqual(['warning']);

    jest.advanceTimersByTime(7 * DAY);
    expect(model.state).toBe('expired');
    expect(notices).toEqual(['warning', 'expired']);
    expect(await model.revealSecret()).toBeNull();
    await Promise.resolve();
    expect(injector.live.has('mem')).toBe(false);
  });

  it('warns once per token: refreshes in the warning period do not warn again', async () => {
    portal.lifetimeMs = 10 * DAY;
    const notices: string[] = [];
    model.expiryNotice.connect((_, kind) => notices.push(kind));
    await model.refresh();
    await model.generate();
    jest.advanceTimersByTime(4 * DAY);
    expect(notices).toEqual(['warning']);

    // The panel refreshes while the tab is visible, and on every return to it.
    for (let i = 0; i < 3; i++) {
      await model.refresh();
      jest.advanceTimersByTime(60 * 1000);
    }
    expect(model.state).toBe('live');
    expect(notices).toEqual(['warning']);

    // A new token is a new one to warn about.
    await model.renew();
    jest.advanceTimersByTime(4 * DAY);
    expect(notices).toEqual(['warning', 'warning']);
  });

  it('survives lifetimes longer than setTimeout can count', async () => {
    portal.lifetimeMs = 400 * DAY;
    await model.refresh();
    await model.generate();
    jest.advanceTimersByTime(393 * DAY + 1000);
    expect(model.expiringSoon).toBe(true);
    expect(model.state).toBe('live');
    jest.advanceTimersByTime(7 * DAY);
    expect(model.state).toBe('expired');
  });

  it('goes to "stored" when the portal answers 409 on generate', async () => {
    await model.refresh();
    portal.token = {
      created: new Date(),
      expires: new Date(Date.now() + 30 * DAY),
      precision: 'hour'
    };
    expect(await model.generate()).toBe(true);
    expect(model.state).toBe('stored');
    expect(await model.revealSecret()).toBeNull();
    expect(injector.live.has('mem')).toBe(false);
  });

  it('shows an expired portal token as expired, and replace makes a new live one', async () => {
    portal.token = {
      created: new Date(Date.now() - 10 * DAY),
      expires: new Date(Date.now() - DAY),
      precision: 'hour'
    };
    await model.refresh();
    expect(model.state).toBe('expired');
    expect(await model.renew()).toBe(true);
    expect(portal.calls).toEqual(['status', 'revoke', 'create']);
    expect(model.state).toBe('live');
  });

  it('revokes: back to "none", kernels scrubbed; a token already gone counts as revoked', async () => {
    await model.refresh();
    await model.generate();
    portal.token = null; // revoked elsewhere
    expect(await model.revoke()).toBe(true);
    expect(model.state).toBe('none');
    await Promise.resolve();
    expect(injector.live.has('mem')).toBe(false);
  });

  it('keeps the state and records the error when the portal fails', async () => {
    await model.refresh();
    await model.generate();
    portal.fail = new PortalError({ reason: 'server', status: 500 });
    expect(await model.revoke()).toBe(false);
    expect(model.state).toBe('live');
    expect(model.error?.reason).toBe('server');
    expect(injector.live.has('mem')).toBe(true);
    portal.fail = null;
    expect(await model.revoke()).toBe(true);
    expect(model.error).toBeNull();
  });

  it('a failed first check is "unreachable", and a retry recovers', async () => {
    portal.fail = new PortalError({ reason: 'network' });
    expect(await model.refresh()).toBe(false);
    expect(model.state).toBe('unreachable');
    portal.fail = null;
    expect(await model.refresh()).toBe(true);
    expect(model.state).toBe('none');
  });

  it('shows progress while a call runs', async () => {
    await model.refresh();
    const seen: (string | null)[] = [];
    model.changed.connect(() => seen.push(model.activity));
    await model.generate();
    expect(seen[0]).toBe('generating');
    expect(seen[seen.length - 1]).toBeNull();
  });

  it('autoRenew replaces the token in the warning period without a gap in the kernels', async () => {
    portal.lifetimeMs = 10 * DAY;
    const notices: string[] = [];
    model.expiryNotice.connect((_, kind) => notices.push(kind));
    model.autoRenew = true;
    await model.refresh();
    await model.generate();
    expect(injector.live.get('mem')?.MEM_TOKEN).toBe('secret-1-abcdefgh');
    injector.history = [];
    // Not in the first half of a 10-day life, although the 7-day warning period has begun.
    await jest.advanceTimersByTimeAsync(5 * DAY - 1000);
    expect(model.secretPreview).toBe('secret-1');
    expect(notices).toEqual([]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(model.state).toBe('live');
    expect(model.secretPreview).toBe('secret-2');
    expect(injector.live.get('mem')?.MEM_TOKEN).toBe('secret-2-abcdefgh');
    // The kernels went from the old value straight to the new one.
    expect(injector.history).toEqual(['set mem']);
    expect(portal.calls.slice(-2)).toEqual(['revoke', 'create']);
    expect(notices).toEqual([]);
  });

  it('autoRenew off: a warning and a renew by hand, no gap either', async () => {
    portal.lifetimeMs = 10 * DAY;
    const notices: string[] = [];
    model.expiryNotice.connect((_, kind) => notices.push(kind));
    await model.refresh();
    await model.generate();
    await jest.advanceTimersByTimeAsync(5 * DAY);
    expect(model.secretPreview).toBe('secret-1');
    expect(notices).toEqual(['warning']);
    expect(model.canRenew).toBe(true);
    injector.history = [];
    expect(await model.renew()).toBe(true);
    expect(model.secretPreview).toBe('secret-2');
    expect(injector.history).toEqual(['set mem']);
  });

  it('a renewal that fails after the revoke scrubs the dead token and says why', async () => {
    await model.refresh();
    await model.generate();
    const create = portal.create.bind(portal);
    portal.create = async () => {
      throw new PortalError({ reason: 'server', status: 500 });
    };
    expect(await model.renew()).toBe(false);
    expect(model.state).toBe('none');
    expect(model.error?.reason).toBe('server');
    expect(injector.live.has('mem')).toBe(false);
    portal.create = create;
  });

  it('shows why the injector refused the token, and clears that once it is gone', async () => {
    const set = injector.set.bind(injector);
    injector.set = async () => {
      throw new Error(
        'The value of MEM_TOKEN is too long; it was not injected'
      );
    };
    await model.refresh();
    await model.generate();
    await jest.advanceTimersByTimeAsync(0);
    expect(model.state).toBe('live');
    expect(model.injectionError).toBe(
      'The value of MEM_TOKEN is too long; it was not injected'
    );
    injector.set = set;
    await model.revoke();
    await jest.advanceTimersByTimeAsync(0);
    expect(model.injectionError).toBeNull();
  });

  it('turning autoInject off scrubs the kernels but keeps the token', async () => {
    await model.refresh();
    await model.generate();
    model.autoInject = false;
    await Promise.resolve();
    expect(injector.live.has('mem')).toBe(false);
    expect(model.state).toBe('live');
    model.autoInject = true;
    // After the removal before it has finished: the two never overtake each other.
    await jest.advanceTimersByTimeAsync(0);
    expect(injector.live.has('mem')).toBe(true);
    expect(injector.history.slice(-2)).toEqual(['clear mem', 'set mem']);
  });
});
