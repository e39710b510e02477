/**
 * The token broker end to end: the model hands a token to the extension's server half (the
 * real one, installed in the venv, inside a real Jupyter server), kernels started afterwards
 * have it at launch with no message from the page, and a second page (a reload) finds it live.
 */
import { type Kernel, TerminalManager } from '@jupyterlab/services';
import { ServerTokenBroker } from '../broker';
import { KernelInjector } from '../injection';
import { PortalTokenManager } from '../manager';
import { PortalTokenModel } from '../model';
import { PortalRegistry } from '../portals/registry';
import type { IPortalTokenModel } from '../tokens';
import {
  fingerprint,
  makeSecret,
  pythonFingerprint,
  run,
  TestServer
} from './injection-server';
import { MemoryPortal } from './model-fakes';

const SECRET = makeSecret();

/**
 * A one-token portal in memory (the portals' own clients are tested against the demo portal):
 * what matters here is the Jupyter server side.
 */
function xdmodInMemory(): MemoryPortal {
  return new MemoryPortal({
    config: {
      id: 'xdmod',
      kind: 'xdmod',
      label: 'XDMoD',
      envVars: { token: 'XDMOD_API_TOKEN', host: 'XDMOD_HOST' }
    },
    secret: () => SECRET.value
  });
}

/** One page of JupyterLab: its broker, injector and model. */
function page(server: TestServer, portal: MemoryPortal) {
  const broker = new ServerTokenBroker();
  const injector = new KernelInjector({
    kernelManager: server.kernelManager,
    kernelSpecManager: server.specsManager,
    launch: broker
  });
  const model: IPortalTokenModel = new PortalTokenModel({
    client: portal,
    injector,
    broker
  });
  return { broker, injector, model };
}

/** Input replies (how values travel over stdin) sent to any kernel so far. */
function inputReplies(server: TestServer): number {
  return server.messages.filter(
    recorded =>
      recorded.direction === 'send' &&
      recorded.msg.header.msg_type === 'input_reply'
  ).length;
}

/**
 * Resolve once `check` holds, polling: real kernels and the server answer in their own time.
 * A check may ask the server (async) or look at the page (sync).
 */
async function until(
  check: () => boolean | Promise<boolean>,
  ms = 30000
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error('timed out');
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

describe('token broker with the real server half', () => {
  const server = new TestServer();
  const portal = xdmodInMemory();
  let first: ReturnType<typeof page>;
  let running: Kernel.IKernelConnection;

  beforeAll(async () => {
    await server.start();
  }, 60000);

  afterAll(async () => {
    first?.model.dispose();
    first?.injector.dispose();
    await server.shutdown();
  }, 30000);

  it('finds the server half, with launch injection on', async () => {
    first = page(server, portal);
    const status = await first.broker.ready;
    expect(status).toEqual(
      expect.objectContaining({
        launch: { kernels: true, reason: null },
        terminals: true
      })
    );
  });

  it('hands a new token to the server, which lists its names but never its value', async () => {
    running = await server.kernelManager.startNew({ name: 'python3' });
    await running.info;
    await first.model.refresh();
    expect(await first.model.generate()).toBe(true);
    // Handed over right after it was made.
    await until(() => first.model.keptByServer);
    const kept = await first.broker.list();
    expect(kept).toEqual([
      expect.objectContaining({
        portal: 'xdmod',
        names: ['XDMOD_API_TOKEN', 'XDMOD_HOST'],
        secretName: 'XDMOD_API_TOKEN'
      })
    ]);
    expect(JSON.stringify(kept)).not.toContain(SECRET.core);
    // The kernel that ran before got it over stdin, as without the server half.
    await until(() => first.model.kernelCount === 1);
    expect(await run(running, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
    // And the server learns that it holds this version (for a page loaded later).
    const version = kept[0].version;
    await until(
      async () => (await first.broker.held(running.id)).xdmod === version,
      10000
    );
  });

  it('gives a kernel started afterwards the token at launch: no message from the page', async () => {
    const before = inputReplies(server);
    const fresh = await server.kernelManager.startNew({ name: 'python3' });
    await fresh.info;
    expect(await run(fresh, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
    await until(() => first.model.kernelCount === 2);
    expect(inputReplies(server)).toBe(before);

    // A restart launches a new process: it has the token again, still with no message.
    await fresh.restart();
    expect(await run(fresh, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
      fingerprint(SECRET.value)
    );
    expect(inputReplies(server)).toBe(before);
    await fresh.shutdown();
  });

  it('a reloaded page finds the token live, copies it from the server, and sends no kernel a value', async () => {
    const sentBefore = inputReplies(server);
    // The first page goes away without a word, as a reload does.
    first.injector.dispose();
    const second = page(server, portal);
    try {
      await second.model.refresh();
      expect(second.model.state).toBe('live');
      expect(second.model.keptByServer).toBe(true);
      expect(second.model.secretPreview).toBeNull();
      expect(await second.model.revealSecret()).toBe(SECRET.value);
      await until(() => second.model.kernelCount === 1);
      expect(inputReplies(server)).toBe(sentBefore);

      // Revoked from the second page: gone from the server and from the kernels.
      expect(await second.model.revoke()).toBe(true);
      expect(await second.broker.list()).toEqual([]);
      // Scrubbed over the injector's own connection, which this cell does not queue behind.
      await until(
        async () =>
          (await run(running, pythonFingerprint('XDMOD_API_TOKEN'))) ===
          'unset',
        10000
      );
      const after = await server.kernelManager.startNew({ name: 'python3' });
      await after.info;
      expect(await run(after, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
        'unset'
      );
      await after.shutdown();
    } finally {
      second.model.dispose();
      second.injector.dispose();
    }
  });

  it('drops a kept token the portal no longer has, so no new kernel gets a dead one', async () => {
    const third = page(server, portal);
    try {
      await third.model.refresh();
      expect(await third.model.generate()).toBe(true);
      // Revoked elsewhere (the portal's own page) while no page is open.
      third.injector.dispose();
      portal.token = null;
      const fourth = page(server, portal);
      try {
        await fourth.model.refresh();
        expect(fourth.model.state).toBe('none');
        await until(
          async () => (await fourth.broker.list()).length === 0,
          10000
        );
      } finally {
        fourth.model.dispose();
        fourth.injector.dispose();
      }
    } finally {
      third.model.dispose();
    }
  });

  it('keeps the value out of the server log, even at debug level', () => {
    expect(server.log).toContain('portal-token');
    expect(server.log).not.toContain(SECRET.core);
  });
});

describe('terminals that hold a kept token', () => {
  const server = new TestServer();
  let terminals: TerminalManager;
  let manager: PortalTokenManager;

  beforeAll(async () => {
    await server.start();
    terminals = new TerminalManager();
    await terminals.ready;
  }, 60000);

  afterAll(async () => {
    manager?.dispose();
    await terminals?.shutdownAll();
    terminals?.dispose();
    await server.shutdown();
  }, 30000);

  it('counts the terminals opened after the token, by name, as they open and close', async () => {
    const before = await terminals.startNew();
    const registry = new PortalRegistry();
    registry.register(
      'memory',
      // A new value with every token, as a renewal makes.
      config =>
        new MemoryPortal({ config, secret: n => `${SECRET.value}-${n}` }),
      { token: 'XDMOD_API_TOKEN', host: 'XDMOD_HOST' }
    );
    manager = new PortalTokenManager({
      registry,
      broker: new ServerTokenBroker(),
      origin: 'http://portal.invalid'
    });
    // What the app does with its own terminal manager (src/index.ts).
    manager.followTerminals(terminals);
    manager.configure({
      portals: [{ id: 'xdmod', kind: 'memory', url: 'http://portal.invalid/' }],
      autoInject: false,
      warnBeforeExpiryDays: 7,
      autoGenerate: false
    });
    const [model] = manager.models;
    await model.refresh();
    expect(await model.generate()).toBe(true);
    await until(() => model.keptByServer);
    // Opened before: it does not hold the token.
    expect(model.terminals).toEqual([{ name: before.name, holds: false }]);
    expect(model.terminalCount).toBe(0);

    // A terminal opened now is counted without anyone asking the model.
    const after = await terminals.startNew();
    await until(() => model.terminalCount === 1);
    expect(model.terminals).toEqual([
      { name: before.name, holds: false },
      { name: after.name, holds: true }
    ]);

    // A renewed token is a new value: the terminal from before holds the old one.
    expect(await model.renew()).toBe(true);
    await until(() => model.terminalCount === 0);
    expect(model.terminals.map(terminal => terminal.name)).toEqual([
      before.name,
      after.name
    ]);
    const renewed = await terminals.startNew();
    await until(() => model.terminalCount === 1);
    expect(model.terminals.find(terminal => terminal.holds)?.name).toBe(
      renewed.name
    );

    // Closed: gone from the list.
    await renewed.shutdown();
    await until(() => model.terminals.length === 2);
    expect(model.terminalCount).toBe(0);

    // Revoked: no terminal counts any more.
    expect(await model.revoke()).toBe(true);
    expect(model.terminals).toEqual([]);
  });
});

describe('without the server half (disabled on the server)', () => {
  const server = new TestServer();
  const portal = xdmodInMemory();

  beforeAll(async () => {
    await server.start(
      {},
      { ServerApp: { jpserver_extensions: { jupyterlab_portal_token: false } } }
    );
  }, 60000);

  afterAll(() => server.shutdown(), 30000);

  it('keeps the token in the page and injects new kernels over stdin, as before', async () => {
    const alone = page(server, portal);
    try {
      expect(await alone.broker.ready).toBeNull();
      expect(await alone.broker.list()).toEqual([]);
      await alone.model.refresh();
      expect(await alone.model.generate()).toBe(true);
      expect(alone.model.state).toBe('live');
      expect(alone.model.server).toBeNull();
      expect(alone.model.keptByServer).toBe(false);
      expect(await alone.model.revealSecret()).toBe(SECRET.value);

      const before = inputReplies(server);
      const kernel = await server.kernelManager.startNew({ name: 'python3' });
      await until(() => alone.model.kernelCount === 1);
      expect(await run(kernel, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
        fingerprint(SECRET.value)
      );
      // The value travelled over stdin: the server had nothing to launch it with.
      expect(inputReplies(server)).toBeGreaterThan(before);
      await alone.model.revoke();
      expect(await run(kernel, pythonFingerprint('XDMOD_API_TOKEN'))).toBe(
        'unset'
      );
      await kernel.shutdown();
    } finally {
      alone.model.dispose();
      alone.injector.dispose();
    }
  });
});
