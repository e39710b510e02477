import {
  Browser,
  BrowserContext,
  expect,
  Page,
  Request,
  test
} from '@playwright/test';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { leakProbe, startupProbe } from './instrument';
import {
  envNumber,
  generateToken,
  inFreshLab,
  IPortalSetting,
  isPortalRequest,
  openLab,
  PortalsWhere,
  PORTAL_ID,
  RELAY_SETTINGS_SETTLE_MS,
  resetPortal,
  revokeToken,
  serverTokens,
  setExtensionEnabled,
  shutdownAll,
  tokenPanel,
  until,
  withServerPortals
} from './lab';
import { axivionUrl, portalUrl } from '../tests/helpers';
import { median, record, round } from './results';
import { extensionWeight, fetchPackage, packageWeight } from './weight';

/**
 * The benchmarks of docs/BENCHMARKS.md, run by `make bench`. Each records its row in
 * ui-tests/bench/results/ whether or not the target is met: a missed target is a finding, not a
 * failure. A benchmark fails only when it cannot measure.
 *
 * The portal-cost pages idle in their own browser contexts from the start to the end of the
 * run, while the other benchmarks work in other contexts.
 */

/** Repetitions of each timed measurement (the medians need at least 5). */
const REPS = Math.round(envNumber('BENCH_REPS', 7));
/**
 * Loads per variant in the startup benchmark: one load varies by ±15 % on this machine, so
 * it takes many to resolve the 2 % of the target.
 */
const STARTUP_LOADS = Math.round(envNumber('BENCH_STARTUP_LOADS', 40));
/** Kernels in the large fan-out. */
const FAN_OUT = Math.round(envNumber('BENCH_FANOUT_N', 20));
/** New notebooks in the first-cell race. */
const RACE_RUNS = Math.round(envNumber('BENCH_RACE_RUNS', 100));
/** Runs per variant (extension enabled, disabled) in the typed first-cell race. */
const TYPED_RUNS = Math.round(envNumber('BENCH_TYPED_RUNS', 20));
/** How long a typed cell has to show an output before it counts as dropped. */
const TYPED_LIMIT_MS = 30000;
/** The typed race's cell, as a person types it. */
const TYPED_CELL =
  'import os; print("ran", "set" if os.environ.get("XDMOD_API_TOKEN") else "unset")';
/** New kernel processes per way of starting them in the launch-injection benchmark. */
const LAUNCH_KERNELS = Math.round(envNumber('BENCH_LAUNCH_KERNELS', 10));
/** Notebooks opened and closed in the leak benchmark. */
const LEAK_CYCLES = Math.round(envNumber('BENCH_LEAK_CYCLES', 50));
/** How long the portal-cost pages idle, in minutes. */
const IDLE_MINUTES = envNumber('BENCH_IDLE_MINUTES', 10);
/** How long a page with a live token idles (half visible, half hidden), in minutes. */
const LIVE_IDLE_MINUTES = envNumber('BENCH_LIVE_IDLE_MINUTES', 4);
/** Calls of each kind (direct, relayed, the Jupyter floor) in the relay benchmark. */
const RELAY_REPS = Math.round(envNumber('BENCH_RELAY_REPS', 50));
/** Relayed calls sent at once in the relay benchmark's concurrency part. */
const RELAY_BURST = 50;
/**
 * Rounds of the concurrency part: in each, the 50 are sent at once four times (portals in the
 * administrator's overrides or the user's settings, from the page or from the test runner).
 */
const RELAY_BURSTS = Math.round(envNumber('BENCH_RELAY_BURSTS', 5));
/** How long the portal answers late in the "slow portal" startup runs. */
const SLOW_PORTAL_MS = 3000;

/** Python that prints whether the token is in the environment (the race's cell). */
const PYTHON_HAS_TOKEN =
  'import os\nprint("token:", "set" if os.environ.get("XDMOD_API_TOKEN") else "MISSING")';

/**
 * Python run in each fan-out kernel: notes in a file each moment the variable appears
 * (`+<epoch s>`) or disappears (`-<epoch s>`) in `os.environ`, from inside the mapping's own
 * `__setitem__`/`__delitem__` (what `update`, `pop` and `del` call), right after the change: the
 * moment a cell would see it (`os.environ` and `os.environb` are both such mappings over one
 * store), with no polling thread competing with the kernel for the CPU.
 * The first line is the state at the start.
 */
function watcherCode(file: string): string {
  return [
    'def __bench_watch(path, name="XDMOD_API_TOKEN"):',
    '    import os, time',
    '    cls, log = type(os.environ), open(path, "a", buffering=1)',
    '    keys = (name, name.encode())',
    '    set_item, del_item = cls.__setitem__, cls.__delitem__',
    '    def note(sign):',
    '        log.write(sign + repr(time.time()) + "\\n")',
    '    def setitem(self, key, value):',
    '        set_item(self, key, value)',
    '        if key in keys:',
    '            note("+")',
    '    def delitem(self, key):',
    '        del_item(self, key)',
    '        if key in keys:',
    '            note("-")',
    '    cls.__setitem__, cls.__delitem__ = setitem, delitem',
    '    note("+" if name in os.environ else "-")',
    `__bench_watch(${JSON.stringify(file)})`,
    'del __bench_watch'
  ].join('\n');
}

/** Scratch files of this worker (the fan-out's watcher logs); made in `beforeAll`. */
let WORK_DIR = '';

test.describe.configure({ mode: 'default' });

/** The idle pages of the portal-cost benchmark. */
interface IIdlePage {
  name: 'panel open' | 'panel closed' | 'tab hidden';
  context: BrowserContext;
  page: Page;
  requests: { at: number; method: string; path: string }[];
}

let idle: { pages: IIdlePage[]; start: number } | null = null;

test.beforeAll(async ({ browser }, testInfo) => {
  WORK_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-token-bench-'));
  // Start the portal-cost pages now; they are read at the end of the run.
  const use = testInfo.project.use;
  idle = await startIdlePages(
    browser,
    use.baseURL as string,
    use.storageState as string
  );
});

test.afterAll(async () => {
  for (const item of idle?.pages ?? []) {
    await item.context.close();
  }
  if (WORK_DIR) {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
  }
});

test('startup cost: app.restored with the extension enabled vs disabled', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(20 * 60 * 1000);
  const context = await browser.newContext({
    storageState: storageState as string
  });
  await context.addInitScript(startupProbe);
  const faults = new URL('/__demo__/faults', baseURL).href;

  type Variant = 'enabled' | 'disabled' | 'slow portal';
  const variants: Variant[] = ['enabled', 'disabled', 'slow portal'];
  const times: Record<Variant, number[]> = {
    enabled: [],
    disabled: [],
    'slow portal': []
  };
  const portalBeforeRestored: number[] = [];
  const cpuEnabled: IStartupCpu[] = [];
  let load = 0;
  // `profiled`: a load of its own, not timed (the profiler slows the page down).
  const measure = async (
    variant: Variant,
    profiled = false
  ): Promise<number> => {
    setExtensionEnabled(variant !== 'disabled');
    if (variant === 'slow portal') {
      const armed = await context.request.post(faults, {
        data: {
          route: 'GET /rest/users/current/api/token',
          hangMs: SLOW_PORTAL_MS
        }
      });
      expect(armed.ok()).toBe(true);
    }
    const page = await context.newPage();
    let portalRequests = 0;
    let restored = false;
    page.on('request', request => {
      if (!restored && isPortalRequest(request.url(), baseURL as string)) {
        portalRequests += 1;
      }
    });
    // A CPU profile of the page until `app.restored`.
    const profiler = profiled ? await context.newCDPSession(page) : null;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.setSamplingInterval', {
        interval: PROFILE_INTERVAL_US
      });
      await profiler.send('Profiler.start');
    }
    try {
      // A new workspace each time: every load restores the same default layout.
      await page.goto(`${baseURL}/lab/workspaces/bench-startup-${load++}`);
      const handle = await page.waitForFunction(
        () => (window as any).__benchRestored,
        null,
        { timeout: 120000, polling: 50 }
      );
      restored = true;
      const ms = (await handle.jsonValue()) as number;
      if (profiler) {
        const { profile } = await profiler.send('Profiler.stop');
        cpuEnabled.push(extensionCpu(profile, ms));
        await profiler.detach();
      }
      if (variant !== 'disabled') {
        // The extension is on: the panel's tab proves it (and that it did not fail to start).
        await expect(
          page.getByRole('tab', { name: 'API tokens' })
        ).toBeAttached();
        portalBeforeRestored.push(portalRequests);
      } else {
        await expect(page.getByRole('tab', { name: 'API tokens' })).toHaveCount(
          0
        );
      }
      return ms;
    } finally {
      await page.close();
      if (variant === 'slow portal') {
        await context.request.delete(faults);
      }
    }
  };

  try {
    // Warm the browser cache and the server once per variant.
    for (const variant of variants) {
      await measure(variant);
    }
    // Interleaved, in a different order each round, so drift hits every variant alike.
    for (let rep = 0; rep < STARTUP_LOADS; rep++) {
      const order = rotate(variants, rep);
      for (const variant of order) {
        times[variant].push(await measure(variant));
      }
    }
    for (let rep = 0; rep < REPS; rep++) {
      await measure('enabled', true);
    }
  } finally {
    setExtensionEnabled(true);
    await context.close();
  }
  const enabled = median(times.enabled);
  const disabled = median(times.disabled);
  const slow = median(times['slow portal']);
  const ratio = enabled / disabled;
  const slowRatio = slow / enabled;
  const oursMs = median(cpuEnabled.map(c => c.oursMs));
  const oursShare = median(cpuEnabled.map(c => c.oursMs / c.restoredMs));
  await record('startup cost', {
    what: 'startup cost (time to `app.restored`)',
    measured:
      `enabled / disabled = ${ratio.toFixed(3)} (${round(enabled)} / ${round(disabled)} ms, ` +
      `medians of ${times.enabled.length}); portal ${SLOW_PORTAL_MS / 1000} s late: ` +
      `${slowRatio.toFixed(3)} × enabled; the extension's own code on the page's thread ` +
      `before \`app.restored\`: ${round(oursMs, 1)} ms, ${round(oursShare * 100, 2)} % (CPU profile)`,
    target: 'ratio ≤ 1.02; no network wait inside `activate`',
    // Waiting for the portal would add its whole delay: 5 % is far below that.
    met: ratio <= 1.02 && slowRatio < 1.05,
    details: {
      reps: times.enabled.length,
      times,
      medianMs: { enabled, disabled, slowPortal: slow },
      ratio,
      slowPortalRatio: slowRatio,
      slowPortalMs: SLOW_PORTAL_MS,
      portalRequestsBeforeRestored: portalBeforeRestored,
      cpuProfile: {
        what: `samples every ${PROFILE_INTERVAL_US} µs, on loads of their own with the extension enabled (not timed: the profiler slows the page), from navigation until the benchmark sees app.restored (polled every 50 ms, so a little after it); "ours" counts a sample when any frame of its stack is the extension's code (its own work and what it calls)`,
        medianOursMs: oursMs,
        medianOursShareOfRestored: oursShare,
        loads: cpuEnabled
      }
    }
  });
});

/** How often the startup CPU profile samples, in µs. */
const PROFILE_INTERVAL_US = 200;

/** The page's CPU until `app.restored`, from a profile. */
interface IStartupCpu {
  /** `app.restored`, ms since navigation start. */
  restoredMs: number;
  /** Sampled time with the extension's code anywhere on the stack. */
  oursMs: number;
  /** Sampled time on the page's thread doing anything (not idle). */
  busyMs: number;
}

/**
 * Time the extension's code ran, read from a CDP CPU profile of a JupyterLab load: every
 * sample whose stack holds a frame of the extension's static files counts, whether the frame
 * is its module code, its `activate`, or its callbacks (what they call counts too).
 */
function extensionCpu(
  profile: {
    nodes: {
      id: number;
      callFrame: { url: string; functionName: string };
      children?: number[];
    }[];
    samples?: number[];
    timeDeltas?: number[];
  },
  restoredMs: number
): IStartupCpu {
  const EXTENSION = '/jupyterlab-portal-token/static/';
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map(node => [node.id, node]));
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const ours = new Map<number, boolean>();
  const isOurs = (id: number): boolean => {
    const known = ours.get(id);
    if (known !== undefined) {
      return known;
    }
    const node = byId.get(id);
    const up = parent.get(id);
    const result =
      !!node &&
      (node.callFrame.url.includes(EXTENSION) ||
        (up !== undefined && isOurs(up)));
    ours.set(id, result);
    return result;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let oursUs = 0;
  let busyUs = 0;
  // A sample's time is the delta to the next one.
  for (let i = 0; i < samples.length; i++) {
    const us = deltas[i + 1] ?? 0;
    const name = byId.get(samples[i])?.callFrame.functionName;
    if (name !== '(idle)') {
      busyUs += us;
    }
    if (isOurs(samples[i])) {
      oursUs += us;
    }
  }
  return { restoredMs, oursMs: oursUs / 1000, busyMs: busyUs / 1000 };
}

test('weight: the production labextension, gzipped', async () => {
  test.setTimeout(5 * 60 * 1000);
  const ours = extensionWeight();
  const root = path.resolve(__dirname, '..', '..');
  const oursLib = await packageWeight(root);
  const core: Record<
    string,
    { files: number; minified: number; gzip: number }
  > = {};
  const pairs = [
    ['@jupyterlab/running-extension', '@jupyterlab/running'],
    ['@jupyterlab/extensionmanager-extension', '@jupyterlab/extensionmanager']
  ];
  for (const pair of pairs) {
    let total: { files: number; minified: number; gzip: number } | undefined = {
      files: 0,
      minified: 0,
      gzip: 0
    };
    for (const name of pair) {
      const dir = fetchPackage(`${name}@4.6.4`);
      if (!dir || !total) {
        total = undefined;
        continue;
      }
      const weight = await packageWeight(dir);
      total.files += weight.files;
      total.minified += weight.minified;
      total.gzip += weight.gzip;
    }
    if (total) {
      core[pair.join(' + ')] = total;
    }
  }
  // What a browser downloads: every static file but the licence list, which JupyterLab never
  // fetches.
  const served = Object.entries(ours.files)
    .filter(([name]) => name.endsWith('.js') || name.endsWith('.css'))
    .reduce((sum, [, size]) => sum + size.gzip, 0);
  const kb = (bytes: number) => round(bytes / 1024, 1);
  const coreText = Object.entries(core)
    .map(
      ([name, w]) =>
        `${name.split(' + ')[0].replace('@jupyterlab/', '')} ${kb(w.gzip)} KB`
    )
    .join(', ');
  await record('weight', {
    what: 'weight (labextension static files, gzip)',
    measured:
      `${kb(ours.gzip)} KB all files, ${kb(served)} KB served JS/CSS; ` +
      `same code measure as core: ours ${kb(oursLib.gzip)} KB` +
      (coreText ? `, ${coreText}` : ' (core packages not available)'),
    target: '≤ 25 KB',
    met: ours.gzip <= 25 * 1024,
    details: {
      dir: ours.dir,
      files: ours.files,
      rawBytes: ours.raw,
      gzipBytes: ours.gzip,
      servedGzipBytes: served,
      codeMeasure: {
        method:
          'lib/*.js minified by SWC (as rspack does) + style/*.css without whitespace, concatenated, gzip -9',
        'jupyterlab-portal-token': oursLib,
        ...core
      }
    }
  });
});

test('fan-out: Generate token until the variable is readable in every kernel', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(20 * 60 * 1000);
  const logs = path.join(WORK_DIR, 'fanout');
  fs.mkdirSync(logs, { recursive: true });
  await inFreshLab(
    browser,
    {
      storageState: storageState as string,
      baseURL: baseURL as string,
      workspace: 'bench-fanout'
    },
    async page => {
      await tokenPanel(page);
      // The click's own moment, in the page: Playwright's click waits for the button first.
      await page.evaluate(() => {
        document.addEventListener(
          'click',
          event => {
            const button = (event.target as Element | null)?.closest('button');
            if (button?.textContent?.includes('Generate token')) {
              (window as any).__benchClickAt = Date.now();
            }
          },
          true
        );
      });

      const kernels: string[] = [];
      const addKernels = async (count: number) => {
        const ids = await startWatchedNotebooks(page, count, logs);
        kernels.push(...ids);
      };
      const dropKernels = async (keep: number) => {
        const gone = kernels.splice(keep);
        await page.evaluate(async ids => {
          const app = (window as any).jupyterapp;
          const panels = ((window as any).__benchPanels ?? []) as any[];
          for (const panel of panels.filter(p =>
            ids.includes(p.sessionContext.session?.kernel?.id)
          )) {
            const file = panel.context.path;
            await panel.sessionContext.shutdown();
            panel.dispose();
            await app.serviceManager.contents.delete(file);
          }
        }, gone);
      };
      const readLog = (id: string): string[] => {
        const file = path.join(logs, `${id}.log`);
        return fs.existsSync(file)
          ? fs.readFileSync(file, 'utf-8').split('\n').filter(Boolean)
          : [];
      };
      const lastState = (id: string) => readLog(id).pop()?.[0];
      const rep = async (): Promise<number> => {
        await until(
          () => (kernels.every(id => lastState(id) === '-') ? true : undefined),
          30000,
          'every kernel without the token'
        );
        await generateToken(page);
        const clickAt = (await page.evaluate(
          () => (window as any).__benchClickAt
        )) as number;
        const seen = await until(
          () => {
            const times = kernels.map(id => {
              const appeared = readLog(id)
                .filter(line => line[0] === '+')
                .map(line => Number(line.slice(1)) * 1000)
                .filter(t => t >= clickAt - 5);
              return appeared[0];
            });
            return times.every(t => t !== undefined) ? times : undefined;
          },
          120000,
          `the token in ${kernels.length} kernels`
        );
        await revokeToken(page);
        return Math.max(...seen) - clickAt;
      };

      // The machine's floors, without the extension, sent to every kernel at once, until the
      // last reply: the message pattern of one injection (a silent execute that reads one line
      // from stdin, answered at once), and the least any extension could send a kernel and hear
      // back from it (one `kernel_info` request).
      const floor = async (
        kind: 'injection' | 'kernel_info'
      ): Promise<number> =>
        page.evaluate(async kind => {
          const panels = ((window as any).__benchPanels ?? []) as any[];
          const kernels = panels
            .map(p => p.sessionContext.session?.kernel)
            .filter(Boolean);
          const started = performance.now();
          await Promise.all(
            kernels.map((kernel: any) => {
              if (kind === 'kernel_info') {
                return kernel.requestKernelInfo();
              }
              const future = kernel.requestExecute({
                code: 'input()',
                silent: true,
                store_history: false,
                allow_stdin: true
              });
              future.onStdin = (msg: any) =>
                kernel.sendInputReply({ status: 'ok', value: 'x' }, msg.header);
              return new Promise(resolve => {
                future.onReply = resolve;
              });
            })
          );
          return performance.now() - started;
        }, kind);
      const kinds = ['injection', 'kernel_info'] as const;
      const floors = {
        injection: { one: [] as number[], many: [] as number[] },
        kernel_info: { one: [] as number[], many: [] as number[] }
      };
      const one: number[] = [];
      const many: number[] = [];
      const measureFloors = async (size: 'one' | 'many') => {
        for (const kind of kinds) {
          floors[kind][size].push(await floor(kind));
        }
      };
      // A–B–A: N = 1, then N = 20, then N = 1 again, so a drift of the machine shows.
      await addKernels(1);
      for (let i = 0; i < REPS; i++) {
        one.push(await rep());
        await measureFloors('one');
      }
      await addKernels(FAN_OUT - 1);
      for (let i = 0; i < REPS; i++) {
        many.push(await rep());
        await measureFloors('many');
      }
      await dropKernels(1);
      for (let i = 0; i < REPS; i++) {
        one.push(await rep());
        await measureFloors('one');
      }
      const m1 = median(one);
      const mN = median(many);
      const ratio = mN / m1;
      const summary = ({ one, many }: { one: number[]; many: number[] }) => ({
        msN1: one,
        msN: many,
        medianN1: median(one),
        medianN: median(many),
        ratio: median(many) / median(one)
      });
      const floorMedians = {
        injection: summary(floors.injection),
        kernel_info: summary(floors.kernel_info)
      };
      const inj = floorMedians.injection;
      const info = floorMedians.kernel_info;
      // The part of N = 1 that is not the kernel's messages (click, portal, model, panel): what
      // any extension has to do once, however few messages it sends each kernel.
      const fixed = m1 - inj.medianN1;
      const best = (fixed + info.medianN) / (fixed + info.medianN1);
      await record('fan-out', {
        what: `fan-out (click → variable readable in all kernels)`,
        measured:
          `N=${FAN_OUT} / N=1 = ${ratio.toFixed(2)} (${round(mN)} / ${round(m1)} ms, medians of ${many.length} / ${one.length}); ` +
          `without the extension, the injection's messages alone: ${inj.ratio.toFixed(2)} (${round(inj.medianN)} / ${round(inj.medianN1)} ms), ` +
          `one kernel_info each: ${info.ratio.toFixed(2)} (${round(info.medianN)} / ${round(info.medianN1)} ms); ` +
          `lowest ratio one message a kernel allows: ${best.toFixed(2)}`,
        target: 'ratio ≤ 1.3',
        met: ratio <= 1.3,
        details: {
          floors: {
            what: {
              injection:
                'silent execute reading 1 stdin line, answered at once, to every kernel at once, without the extension',
              kernel_info:
                'one kernel_info request to every kernel at once, without the extension'
            },
            ...floorMedians
          },
          fixedMs: fixed,
          lowestReachableRatio: best,
          n: FAN_OUT,
          msN1: one,
          msN: many,
          medianN1: m1,
          medianN: mN,
          ratio
        }
      });
    }
  );
});

test('first-cell race: a cell run the moment a new kernel is ready sees the token', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(30 * 60 * 1000);
  await inFreshLab(
    browser,
    {
      storageState: storageState as string,
      baseURL: baseURL as string,
      workspace: 'bench-race'
    },
    async page => {
      await generateToken(page);
      const runs: { mode: string; output: string; ms: number }[] = [];
      // In batches, so one page.evaluate never runs for long.
      for (let done = 0; done < RACE_RUNS;) {
        const count = Math.min(10, RACE_RUNS - done);
        runs.push(
          ...(await page.evaluate(raceBatch, {
            offset: done,
            count,
            code: PYTHON_HAS_TOKEN
          }))
        );
        done += count;
      }
      const seen = runs.filter(run =>
        run.output.startsWith('token: set')
      ).length;
      const byMode = (mode: string) => {
        const mine = runs.filter(run => run.mode === mode);
        return `${mine.filter(run => run.output.startsWith('token: set')).length}/${mine.length}`;
      };
      await record('first-cell race', {
        what: 'first-cell race (new notebook, cell run at once)',
        measured: `${seen} / ${runs.length} (run on kernel connection: ${byMode('connection')}, on first idle: ${byMode('idle')})`,
        target: '100 / 100',
        met: seen === runs.length && runs.length >= 100,
        details: {
          runs: runs.length,
          seen,
          misses: runs.filter(run => !run.output.startsWith('token: set')),
          medianMsToOutput: median(runs.map(run => run.ms))
        }
      });
    }
  );
});

test('first-cell race, typed: a person opens a notebook, waits for idle, types a cell and runs it', async ({
  browser,
  baseURL,
  storageState
}) => {
  const base = baseURL as string;
  // A dropped cell costs its whole limit; two variants; a page load and a kernel each run.
  test.setTimeout(TYPED_RUNS * 2 * (TYPED_LIMIT_MS + 60000) + 5 * 60 * 1000);
  const runs: ITypedRun[] = [];
  try {
    await inFreshLab(
      browser,
      {
        storageState: storageState as string,
        baseURL: base,
        workspace: 'bench-typed'
      },
      async page => {
        // Alternating, in a different order each round, so drift hits both variants alike.
        for (let round = 0; round < TYPED_RUNS; round++) {
          const order: TypedVariant[] =
            round % 2 === 0 ? ['enabled', 'disabled'] : ['disabled', 'enabled'];
          for (const variant of order) {
            runs.push(await typedRun(page, base, variant, round));
          }
        }
      }
    );
  } finally {
    setExtensionEnabled(true);
  }
  const of = (variant: TypedVariant) =>
    runs.filter(run => run.variant === variant);
  const enabled = of('enabled');
  const disabled = of('disabled');
  const ran = (list: ITypedRun[]) => list.filter(run => run.ran);
  const saw = (list: ITypedRun[]) =>
    list.filter(run => run.output === 'ran set');
  const ranEnabled = ran(enabled).length;
  const sawEnabled = saw(ran(enabled)).length;
  const ranDisabled = ran(disabled).length;
  const mistyped = runs.filter(run => !run.typed).length;
  await record('first-cell race, typed', {
    what: 'first-cell race, typed (new notebook, Idle shown, cell typed and run with Shift+Enter)',
    measured:
      `enabled: ran ${ranEnabled}/${enabled.length}, saw the token ${sawEnabled}/${ranEnabled}; ` +
      `disabled: ran ${ranDisabled}/${disabled.length}` +
      (saw(disabled).length > 0
        ? ` (saw a token ${saw(disabled).length}/${ranDisabled})`
        : '') +
      `; median Idle → Shift+Enter ${round(median(runs.map(run => run.msTyping)))} ms` +
      (mistyped > 0 ? `; ${mistyped} cells not as typed` : ''),
    target:
      'every enabled cell that ran saw the token; enabled drops no more than disabled',
    met:
      enabled.length > 0 &&
      sawEnabled === ranEnabled &&
      enabled.length - ranEnabled <= disabled.length - ranDisabled,
    details: {
      runsPerVariant: TYPED_RUNS,
      limitMs: TYPED_LIMIT_MS,
      cell: TYPED_CELL,
      enabled: { runs: enabled.length, ran: ranEnabled, sawToken: sawEnabled },
      disabled: {
        runs: disabled.length,
        ran: ranDisabled,
        sawToken: saw(disabled).length
      },
      medianMs: {
        createToIdle: median(runs.map(run => run.msToIdle)),
        idleToShiftEnter: median(runs.map(run => run.msTyping)),
        shiftEnterToOutput: median(
          runs.filter(run => run.ran).map(run => run.msToOutput as number)
        )
      },
      runs
    }
  });
});

test('launch injection: messages the page sends a new kernel for the token', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(20 * 60 * 1000);
  const base = baseURL as string;
  await inFreshLab(
    browser,
    {
      storageState: storageState as string,
      baseURL: base,
      workspace: 'bench-launch'
    },
    async page => {
      // Before any kernel starts, so every connection is seen: widgets' and the injector's own.
      await page.evaluate(installMessageTap);
      // The page's questions to the server about its kernels, and which kernels each answer
      // listed: a kernel missing from the answer the injector used gets the token over stdin.
      const requests: { at: number; method: string; path: string }[] = [];
      const answers: { asked: number; answered: number; kernels: string[] }[] =
        [];
      const asked = new Map<Request, number>();
      page.on('request', request => {
        const url = new URL(request.url());
        if (url.pathname.includes('/portal-token/kernels')) {
          asked.set(request, Date.now());
          requests.push({
            at: Date.now(),
            method: request.method(),
            path: url.pathname.replace(/^.*\/portal-token\//, '')
          });
        }
      });
      page.on('response', async response => {
        const request = response.request();
        const url = new URL(response.url());
        if (
          request.method() === 'GET' &&
          url.pathname.endsWith('/portal-token/kernels')
        ) {
          const answered = Date.now();
          const body = (await response.json().catch(() => ({}))) as {
            kernels?: Record<string, unknown>;
          };
          answers.push({
            asked: asked.get(request) ?? answered,
            answered,
            kernels: Object.keys(body.kernels ?? {})
          });
        }
      });
      await generateToken(page);
      // New kernels get the token at launch once the server has it: wait for that.
      const version = await until(
        async () =>
          (await serverTokens(page, base)).find(
            token => token.portal === PORTAL_ID && token.kernels
          )?.version,
        30000,
        'the token on the Jupyter server'
      );
      const kernels: ILaunchKernel[] = [];
      for (const mode of LAUNCH_MODES) {
        kernels.push(
          ...(await page.evaluate(launchBatch, {
            mode,
            count: LAUNCH_KERNELS,
            portal: PORTAL_ID,
            code: PYTHON_HAS_TOKEN
          }))
        );
      }
      // For each kernel that got messages: the last answer about the kernels before them.
      for (const kernel of kernels) {
        if (kernel.firstInjectionAt === null) {
          continue;
        }
        const before = answers
          .filter(answer => answer.answered <= kernel.firstInjectionAt!)
          .pop();
        kernel.lastAnswerBefore = before
          ? {
              askedMsBeforeConnection: kernel.connectedAt - before.asked,
              listedThisKernel: before.kernels.includes(kernel.kernelId)
            }
          : null;
      }
      // Another page with a live token would send to these kernels unseen here: the idle
      // pages of the portal-cost benchmark hold none, which their injectors confirm.
      const otherPages: Record<string, unknown> = {};
      for (const item of idle?.pages ?? []) {
        otherPages[item.name] = await item.page.evaluate(
          () =>
            (window as any).jupyterapp.pluginRegistry._plugins.get(
              'jupyterlab-portal-token:injector'
            ).service.connections
        );
      }
      const counts = kernels.map(kernel => kernel.injectionMessages);
      const mean = counts.reduce((a, b) => a + b, 0) / (counts.length || 1);
      const max = Math.max(0, ...counts);
      const held = kernels.filter(kernel => kernel.output === 'token: set');
      const byMode = LAUNCH_MODES.map(mode => {
        const mine = kernels.filter(kernel => kernel.mode === mode);
        const sum = mine.reduce((a, k) => a + k.injectionMessages, 0);
        return `${mode} ${round(sum / (mine.length || 1), 2)}/${Math.max(0, ...mine.map(k => k.injectionMessages))}`;
      });
      await record('launch injection', {
        what: 'launch injection (stdin messages the page sends a new kernel)',
        measured:
          `mean ${round(mean, 2)}, max ${max} per kernel over ${kernels.length} ` +
          `(mean/max: ${byMode.join(', ')}); ` +
          `token held: ${held.length}/${kernels.length}`,
        target: '0 per new kernel; every kernel holds the token',
        met: kernels.length > 0 && max === 0 && held.length === kernels.length,
        details: {
          what: 'injection messages = execute_request with silent and allow_stdin, plus input_reply, sent on any connection the page made to the kernel (kernels.connectTo wrapped), from its start (or restart) until a cell confirmed the token',
          kernelsPerMode: LAUNCH_KERNELS,
          version,
          meanPerKernel: mean,
          maxPerKernel: max,
          held: held.length,
          portalTokenKernelsRequests: requests,
          portalTokenKernelsAnswers: answers,
          otherPagesInjectorConnections: otherPages,
          kernels
        }
      });
    }
  );
});

test('leaks: open and close notebooks, then count what the extension holds', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(30 * 60 * 1000);
  await inFreshLab(
    browser,
    {
      storageState: storageState as string,
      baseURL: baseURL as string,
      workspace: 'bench-leaks',
      initScript: leakProbe
    },
    async page => {
      await generateToken(page);
      const settle = async (
        want?: Record<string, number>
      ): Promise<Record<string, number>> => {
        // Let closes and shut-downs finish: the same numbers twice, 1 s apart (or the start's).
        let last = await page.evaluate(holdings);
        const deadline = Date.now() + 30000;
        for (;;) {
          await page.waitForTimeout(1000);
          const now = await page.evaluate(holdings);
          const same = (a: Record<string, number>, b: Record<string, number>) =>
            Object.keys(a).every(key => a[key] === b[key]);
          if (
            (want ? same(now, want) : same(now, last)) ||
            Date.now() > deadline
          ) {
            return now;
          }
          last = now;
        }
      };
      const start = await settle();
      const log: { cycle: number; holdings: Record<string, number> }[] = [];
      for (let done = 0; done < LEAK_CYCLES;) {
        const count = Math.min(10, LEAK_CYCLES - done);
        await page.evaluate(leakBatch, {
          offset: done,
          count,
          portal: PORTAL_ID
        });
        done += count;
        log.push({ cycle: done, holdings: await page.evaluate(holdings) });
      }
      const end = await settle(start);
      const changed = Object.keys(start).filter(key => start[key] !== end[key]);
      const show = (h: Record<string, number>) =>
        `${h.kernelSockets} kernel sockets, ${h.injectorLinks} injector links, ` +
        `${h.signalConnections} signal connections, ${h.timers} timers`;
      await record('leaks', {
        what: `leaks (${LEAK_CYCLES} notebooks opened and closed)`,
        measured:
          changed.length === 0
            ? `back to start: ${show(end)}`
            : `start ${show(start)}; end ${show(end)}`,
        target: 'back to the start value',
        met: changed.length === 0,
        details: { start, end, changed, during: log }
      });
    }
  );
});

test('relay: a portal call through the Jupyter server vs the same call made directly, and 50 at once', async ({
  browser,
  baseURL,
  storageState
}) => {
  test.setTimeout(5 * 60 * 1000);
  const base = baseURL as string;
  const relay = `${base}/portal-token/relay`;
  // Each portal on its own origin: XDMoD's is JupyterLab's (the page calls it directly), the
  // Axivion Dashboard's sends no CORS headers (the page reaches it through the relay only).
  const xdmod = portalUrl();
  const axivion = axivionUrl();
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const DEMO = basic('demo', 'demo');
  const ALICE = basic('alice', 'alice-password');
  // The portals the relay calls, at the demo's absolute addresses (the relay refuses relative
  // ones): the same portals the direct calls reach. Two Axivion entries on one dashboard,
  // called as two users, so that an answer handed to the wrong call shows.
  const portals: IPortalSetting[] = [
    {
      id: 'bench-relay-xdmod',
      kind: 'xdmod',
      label: 'XDMoD (relay benchmark)',
      url: xdmod
    },
    {
      id: 'bench-relay-axivion',
      kind: 'axivion',
      label: 'Axivion (relay benchmark)',
      url: axivion
    },
    {
      id: 'bench-relay-axivion-alice',
      kind: 'axivion',
      label: 'Axivion as alice (relay benchmark)',
      url: axivion
    }
  ];
  const JSON_HEADERS = {
    Accept: 'application/json',
    'X-Requested-With': 'XMLHttpRequest'
  };
  // From the page: as portalFetch calls a portal, and as its relay transport calls the relay.
  const direct = (url: string, headers: Record<string, string> = {}) => ({
    url,
    credentials: 'include' as const,
    cache: 'no-store' as const,
    headers: { ...JSON_HEADERS, ...headers }
  });
  const jupyter = (url: string, headers: Record<string, string> = {}) => ({
    url,
    jupyter: true,
    cache: 'no-cache' as const,
    headers: { ...JSON_HEADERS, ...headers }
  });
  const TOKEN_PATH = 'rest/users/current/api/token';
  await inFreshLab(
    browser,
    {
      storageState: storageState as string,
      baseURL: base,
      workspace: 'bench-relay'
    },
    async page =>
      withServerPortals(page, base, portals, async use => {
        const files: Partial<
          Record<PortalsWhere, { portals: number; bytes: number }>
        > = {};
        // Write the settings; when they were written (after the server's write).
        const write = async (where: PortalsWhere) => {
          files[where] = await use(where);
          return Date.now();
        };
        await write('user settings');
        // A token for the demo user, so that XDMoD's GET answers 200 with its dates.
        const [created] = await page.evaluate(relayCalls, [
          { ...direct(`${xdmod}${TOKEN_PATH}`), method: 'POST' }
        ]);
        expect(created.status).toBe(200);
        // XDMoD through the relay needs the relay's own session: one sign-in with the password.
        const [login] = await page.evaluate(relayCalls, [
          {
            ...jupyter(`${relay}/bench-relay-xdmod/rest/auth/login`, {
              'X-Portal-Authorization': DEMO
            }),
            method: 'POST'
          }
        ]);
        expect(login.status, 'sign-in through the relay').toBe(200);
        expect(login.mark).toBe('portal');
        // The test runner's calls: Node's own HTTP client (keep-alive, as the browser keeps its
        // connections), with the cookies the page's browser would send to each address and the
        // XSRF header its relay transport adds.
        const agent = new http.Agent({ keepAlive: true });
        try {
          const cookies = async (url: string) =>
            (await page.context().cookies(url))
              .map(cookie => `${cookie.name}=${cookie.value}`)
              .join('; ');
          const xsrf = (await page.context().cookies(base)).find(
            cookie => cookie.name === '_xsrf'
          )?.value;
          const fromRunner = async (
            url: string,
            headers: Record<string, string> = {},
            jupyterCall = false
          ): Promise<IBenchCall> => ({
            url,
            cache: 'no-store',
            headers: {
              ...JSON_HEADERS,
              ...headers,
              Cookie: await cookies(url),
              ...(jupyterCall && xsrf ? { 'X-XSRFToken': xsrf } : {})
            }
          });
          const calls: Record<RelayFrom, RelayCalls> = {
            // The page can call only XDMoD directly, on its own origin.
            page: {
              'xdmod direct': direct(`${xdmod}${TOKEN_PATH}`),
              'xdmod relayed': jupyter(
                `${relay}/bench-relay-xdmod/${TOKEN_PATH}`
              ),
              'axivion relayed': jupyter(`${relay}/bench-relay-axivion/`, {
                'X-Portal-Authorization': DEMO
              }),
              'jupyter floor': jupyter(`${base}/api/status`)
            },
            runner: {
              'xdmod direct': await fromRunner(`${xdmod}${TOKEN_PATH}`),
              'xdmod relayed': await fromRunner(
                `${relay}/bench-relay-xdmod/${TOKEN_PATH}`,
                {},
                true
              ),
              'axivion direct': await fromRunner(axivion, {
                Authorization: DEMO
              }),
              'axivion relayed': await fromRunner(
                `${relay}/bench-relay-axivion/`,
                { 'X-Portal-Authorization': DEMO },
                true
              ),
              'jupyter floor': await fromRunner(`${base}/api/status`, {}, true)
            }
          };
          const namesOf = (from: RelayFrom) =>
            Object.keys(calls[from]) as RelayCostCall[];
          // What each answer must be: the XDMoD token's dates, or the Axivion user.
          const [xdmodAnswer] = await page.evaluate(relayCalls, [
            calls.page['xdmod direct']!
          ]);
          const xdmodWho = answerOf(xdmodAnswer.text);
          expect(xdmodWho).toMatch(/^xdmod token created /);
          const expectedOf = (name: RelayCostCall) =>
            name.startsWith('xdmod')
              ? xdmodWho
              : name.startsWith('axivion')
                ? 'axivion user demo'
                : undefined;

          // Cost: one call at a time. A round is the page's four calls and the runner's five,
          // each in a rotating order. In blocks: each way of holding the settings in turn
          // (rotating), 2 rounds not counted, then its share of RELAY_REPS rounds. "Settled":
          // written once, then left alone for more than the relay's 2 s, so the relay reads
          // them once (the first round not counted) and then serves its cached list; "just
          // written": written again before each round, so the relay reads them on every call.
          const cost = Object.fromEntries(
            RELAY_SETTINGS.map(settings => [
              settings.key,
              {
                page: emptyCost(namesOf('page')),
                runner: emptyCost(namesOf('runner'))
              }
            ])
          ) as Record<RelaySettingsKey, Record<RelayFrom, RelayCost>>;
          // How long before each counted round (settled) or after it (just written) the
          // settings were last written: the proof of which path the relay took.
          const age = Object.fromEntries(
            RELAY_SETTINGS.map(settings => [
              settings.key,
              { minMs: Infinity, maxMs: 0 }
            ])
          ) as Record<RelaySettingsKey, { minMs: number; maxMs: number }>;
          const noteAge = (key: RelaySettingsKey, ms: number) => {
            age[key].minMs = Math.min(age[key].minMs, ms);
            age[key].maxMs = Math.max(age[key].maxMs, ms);
          };
          const costRound = async (n: number) => {
            const answers: Partial<
              Record<RelayFrom, [RelayCostCall, IBenchAnswer][]>
            > = {};
            for (const from of rotate(['page', 'runner'] as const, n)) {
              const order = rotate(namesOf(from), n);
              const list = order.map(name => calls[from][name]!);
              const got =
                from === 'page'
                  ? await page.evaluate(relayCalls, list)
                  : await runnerCalls(list, agent);
              answers[from] = got.map((answer, i) => [order[i], answer]);
            }
            return answers as Record<
              RelayFrom,
              [RelayCostCall, IBenchAnswer][]
            >;
          };
          const blocks = Math.max(1, RELAY_BURSTS);
          const roundsIn = (block: number) =>
            Math.floor(((block + 1) * RELAY_REPS) / blocks) -
            Math.floor((block * RELAY_REPS) / blocks);
          const bursts: IRelayBurst[] = [];
          const burstCalls: (IBenchCall & { expected: string })[] = [];
          for (let i = 0; i < RELAY_BURST; i++) {
            burstCalls.push(
              [
                {
                  ...jupyter(`${relay}/bench-relay-xdmod/${TOKEN_PATH}`),
                  expected: xdmodWho
                },
                {
                  ...jupyter(`${relay}/bench-relay-axivion/`, {
                    'X-Portal-Authorization': DEMO
                  }),
                  expected: 'axivion user demo'
                },
                {
                  ...jupyter(`${relay}/bench-relay-axivion-alice/`, {
                    'X-Portal-Authorization': ALICE
                  }),
                  expected: 'axivion user alice'
                }
              ][i % 3]
            );
          }
          let n = 0;
          for (let block = 0; block < blocks; block++) {
            for (const settings of rotate([...RELAY_SETTINGS], block)) {
              const { key, where, settled } = settings;
              let written = await write(where);
              if (settled) {
                await page.waitForTimeout(RELAY_SETTINGS_SETTLE_MS + 500);
              }
              for (let rep = -2; rep < roundsIn(block); rep++) {
                if (!settled) {
                  written = await write(where);
                }
                const before = Date.now() - written;
                const answers = await costRound(n++);
                const after = Date.now() - written;
                if (rep < 0) {
                  continue;
                }
                noteAge(key, settled ? before : after);
                for (const from of ['page', 'runner'] as const) {
                  for (const [name, answer] of answers[from]) {
                    const entry = cost[key][from][name]!;
                    entry.ms.push(answer.ms);
                    count(entry.statuses, String(answer.status));
                    count(entry.marks, answer.mark);
                    if (expectedOf(name)) {
                      count(entry.answers, answerOf(answer.text));
                    }
                  }
                }
              }
              // Concurrency: 50 relayed calls at once over the three portals, from the page
              // (the browser sends at most 6 at once to one origin over HTTP/1.1), and from
              // the test runner (all 50 on the wire at once).
              for (const from of rotate(['page', 'runner'] as const, block)) {
                if (!settled) {
                  written = await write(where);
                }
                const before = Date.now() - written;
                const answers =
                  from === 'page'
                    ? await page.evaluate(relayBurst, burstCalls)
                    : await runnerBurst(page, burstCalls);
                noteAge(key, settled ? before : Date.now() - written);
                bursts.push(
                  judgeBurst(
                    { from, settings: key, round: block },
                    burstCalls,
                    answers
                  )
                );
              }
            }
          }
          for (const { key, settled } of RELAY_SETTINGS) {
            // Settled: every counted call came more than 2 s after the last write; just
            // written: every one within 2 s of it.
            if (settled) {
              expect(age[key].minMs, `${key}: settled`).toBeGreaterThan(
                RELAY_SETTINGS_SETTLE_MS
              );
            } else {
              expect(age[key].maxMs, `${key}: just written`).toBeLessThan(
                RELAY_SETTINGS_SETTLE_MS
              );
            }
            for (const from of ['page', 'runner'] as const) {
              for (const name of namesOf(from)) {
                const entry = cost[key][from][name]!;
                const what = `${key}, from the ${from}: ${name}`;
                expect(entry.statuses, what).toEqual({ '200': RELAY_REPS });
                if (name.endsWith('relayed')) {
                  expect(entry.marks, what).toEqual({ portal: RELAY_REPS });
                }
                const expected = expectedOf(name);
                if (expected) {
                  expect(entry.answers, what).toEqual({
                    [expected]: RELAY_REPS
                  });
                }
              }
            }
          }

          const summary = (key: RelaySettingsKey, from: RelayFrom) => {
            const med = (name: RelayCostCall) =>
              median(cost[key][from][name]!.ms);
            const floor = med('jupyter floor');
            const pair = (portal: 'xdmod' | 'axivion') => {
              if (!cost[key][from][`${portal} direct`]) {
                return undefined;
              }
              const d = med(`${portal} direct`);
              const r = med(`${portal} relayed`);
              return {
                directMs: d,
                relayedMs: r,
                ratio: r / d,
                addedMs: r - d,
                beyondFloorMs: r - d - floor
              };
            };
            return {
              floorMs: floor,
              xdmod: pair('xdmod'),
              axivion: pair('axivion'),
              medianMs: Object.fromEntries(
                namesOf(from).map(name => [name, med(name)])
              )
            };
          };
          const summaries = Object.fromEntries(
            RELAY_SETTINGS.map(({ key }) => [
              key,
              { page: summary(key, 'page'), runner: summary(key, 'runner') }
            ])
          ) as Record<
            RelaySettingsKey,
            Record<RelayFrom, ReturnType<typeof summary>>
          >;
          const answered = bursts.reduce((sum, b) => sum + b.answered, 0);
          const mixed = bursts.reduce((sum, b) => sum + b.mixed, 0);
          const lost = bursts.reduce((sum, b) => sum + b.lost, 0);
          const sent = bursts.length * RELAY_BURST;
          const wall = (key: RelaySettingsKey, from: RelayFrom) =>
            median(
              bursts
                .filter(b => b.settings === key && b.from === from)
                .map(b => b.wallMs)
            );
          const ms = (value: number) => `${round(value, 1)}`;
          const showPair = (
            label: string,
            p: NonNullable<ReturnType<typeof summary>['xdmod']>
          ) =>
            `${label} ${p.ratio.toFixed(2)} (${ms(p.relayedMs)} / ${ms(p.directMs)} ms)`;
          // From the page, a fetch's own cost differs between the direct call (no-store) and the
          // Jupyter ones (no-cache, XSRF header), so relayed − direct − hop means little there.
          const show = (key: RelaySettingsKey) => {
            const { page: p, runner: r } = summaries[key];
            return (
              `from the page: ${showPair('XDMoD token GET', p.xdmod!)}, relayed − direct ${ms(p.xdmod!.addedMs)} ms, ` +
              `hop ${ms(p.floorMs)} ms; Axivion info relayed ${ms(p.medianMs['axivion relayed'])} ms (the page's only way: no CORS); ` +
              `from the runner: ${showPair('XDMoD', r.xdmod!)}, ${showPair('Axivion info', r.axivion!)}, ` +
              `relayed − direct ${ms(r.xdmod!.addedMs)} / ${ms(r.axivion!.addedMs)} ms, hop ${ms(r.floorMs)} ms ` +
              `(beyond it ${ms(r.xdmod!.beyondFloorMs)} / ${ms(r.axivion!.beyondFloorMs)} ms)`
            );
          };
          const ONE_HOP = 1.5;
          const within = (key: RelaySettingsKey) =>
            [
              summaries[key].page.xdmod!,
              summaries[key].runner.xdmod!,
              summaries[key].runner.axivion!
            ].every(
              (p, i) =>
                p.addedMs <=
                ONE_HOP *
                  (i === 0
                    ? summaries[key].page.floorMs
                    : summaries[key].runner.floorMs)
            );
          const settledKeys = RELAY_SETTINGS.filter(s => s.settled).map(
            s => s.key
          );
          const user = files['user settings']!;
          await record('relay', {
            what: 'relay (a portal call through the Jupyter server instead of directly)',
            measured:
              `relayed / direct, medians of ${RELAY_REPS}; settings settled (the relay's cached list): ` +
              `administrator's overrides: ${show('overrides')}; ` +
              `user's settings (${user.bytes} B, ${user.portals} portals): ${show('user settings')}; ` +
              `user's settings just written (read on every call, uncached): ${show('user settings, just written')}; ` +
              `${RELAY_BURST} at once over 3 portals, ${bursts.length} times (page, runner; each way): ` +
              `${answered}/${sent} answered, ${lost} lost, ${mixed} mixed; wall (median) ` +
              RELAY_SETTINGS.map(
                ({ key }) =>
                  `${key} ${round(wall(key, 'page'))} / ${round(wall(key, 'runner'))}`
              ).join(', ') +
              ' ms (from the page / the runner)',
            target: `settings settled: relayed − direct ≤ ${ONE_HOP} × one hop to Jupyter; ${RELAY_BURST}/${RELAY_BURST} answered, 0 mixed`,
            met: settledKeys.every(within) && lost === 0 && mixed === 0,
            details: {
              what: {
                page: "fetch in the page. Direct: XDMoD only (JupyterLab's origin, its session cookie), as portalFetch calls it (cache no-store); the Axivion Dashboard is on another origin without CORS headers, so the page reaches it only through the relay. Relayed: <base>/portal-token/relay/<id>/<path> (the demo's proxy, then the Jupyter server, which calls the portal), as the relay transport calls it (cache no-cache)",
                runner:
                  "Node's http client in the test runner (keep-alive), with the cookies the page's browser would send: direct to XDMoD and to the Axivion Dashboard (HTTP Basic), each on its own origin; relayed the same way as from the page",
                floor:
                  'GET <base>/api/status, from each side the same way as its relayed calls: the demo proxy and the Jupyter server, no portal',
                settings:
                  "the same list of portals (the demo's and the benchmark's) either in the user's settings (PUT lab/api/settings) or in a labconfig/default_setting_overrides.json of the benchmark server's config path (the user's settings empty). Settled: written once per block, calls from 2.5 s later (the relay reads a file changed in the last 2 s on every call, else keeps its list until a file changes); just written: the user's settings written again before each round, every call within 2 s of it (read on every call)",
                burst: `${RELAY_BURST} relayed GETs at once (Promise.all), in turn to the XDMoD token API, the Axivion info as demo, the Axivion info as alice; an answer counts when 200, marked portal, and it is the expected one (the token's dates, or the user's name)`
              },
              reps: RELAY_REPS,
              blocks,
              files,
              settingsAgeMs: age,
              summaries,
              withinTarget: Object.fromEntries(
                RELAY_SETTINGS.map(({ key }) => [key, within(key)])
              ),
              cost,
              bursts,
              burstWallMedianMs: Object.fromEntries(
                RELAY_SETTINGS.map(({ key }) => [
                  key,
                  { page: wall(key, 'page'), runner: wall(key, 'runner') }
                ])
              )
            }
          });
        } finally {
          agent.destroy();
          // Close the relay's session, and leave the portal without the token.
          await page.evaluate(relayCalls, [
            {
              ...jupyter(`${relay}/bench-relay-xdmod/rest/auth/logout`),
              method: 'POST'
            }
          ]);
          await resetPortal(page, base);
        }
      })
  );
});

test('portal cost: requests to the portal from idle pages', async ({
  baseURL
}) => {
  test.setTimeout((IDLE_MINUTES + LIVE_IDLE_MINUTES + 5) * 60 * 1000);
  expect(idle).not.toBeNull();
  const { pages, start } = idle!;
  const end = start + IDLE_MINUTES * 60 * 1000;
  while (Date.now() < end) {
    await pages[0].page.waitForTimeout(Math.min(10000, end - Date.now()));
  }
  const minutes = (Date.now() - start) / 60000;
  const between = (item: IIdlePage, from: number, to: number) =>
    item.requests.filter(r => r.at >= from && r.at <= to).length;
  const counts: Record<string, number> = {};
  for (const item of pages) {
    counts[item.name] = between(item, start, end);
  }
  // Coming back to the hidden tab: it asks the portals again (the user may have revoked the
  // token or signed out in the portal's own tab meanwhile).
  const hidden = pages.find(item => item.name === 'tab hidden')!;
  const returned = Date.now();
  await showTab(hidden.page);
  await hidden.page.waitForTimeout(3000);
  const onReturn = between(hidden, returned, Date.now());

  // Then, with the other benchmarks done: a live token, the panel open, first visible, then
  // hidden. (Not earlier: a live token goes into every kernel of the server.)
  const live = pages.find(item => item.name === 'panel open')!;
  await resetPortal(live.page, baseURL as string);
  await generateToken(live.page);
  const half = (LIVE_IDLE_MINUTES / 2) * 60 * 1000;
  const liveStart = Date.now();
  await live.page.waitForTimeout(half);
  const liveHide = Date.now();
  await hideTab(live.page);
  await live.page.waitForTimeout(half);
  const liveEnd = Date.now();
  const liveVisible = between(live, liveStart, liveHide);
  const liveHidden = between(live, liveHide, liveEnd);
  await showTab(live.page);
  await live.page.waitForTimeout(3000);
  const liveReturn = between(live, liveEnd, Date.now());

  const per10 = (n: number, ms: number) => round((n * 10 * 60000) / ms, 1);
  const idleMs = minutes * 60000;
  const show = (n: number, ms: number) =>
    `${per10(n, ms)}${Math.abs(ms - 600000) > 30000 ? ` (${n} in ${round(ms / 60000, 1)} min)` : ''}`;
  await record('portal cost', {
    what: `portal cost (requests per 10 idle minutes)`,
    measured:
      'no token: ' +
      pages
        .map(item => `${item.name} ${show(counts[item.name], idleMs)}`)
        .join(', ') +
      `; live token, panel open: visible ${show(liveVisible, liveHide - liveStart)}, ` +
      `hidden ${show(liveHidden, liveEnd - liveHide)}; ` +
      `on return to the tab: ${onReturn} (no token), ${liveReturn} (live)`,
    target: 'as few as correctness allows; none while the tab is hidden',
    // Correctness allows: nothing without a live token; with one, one check a minute (a token
    // revoked elsewhere leaves the kernels) while visible; one check per portal on return.
    met:
      counts['tab hidden'] === 0 &&
      liveHidden === 0 &&
      counts['panel open'] === 0 &&
      counts['panel closed'] === 0 &&
      per10(liveVisible, liveHide - liveStart) <= 11,
    details: {
      minutes,
      counts,
      onReturn,
      live: {
        visibleMs: liveHide - liveStart,
        hiddenMs: liveEnd - liveHide,
        visible: liveVisible,
        hidden: liveHidden,
        onReturn: liveReturn
      },
      requests: Object.fromEntries(
        pages.map(item => [item.name, item.requests])
      )
    }
  });
});

/** One call of the relay benchmark, made with `fetch` in the page (or by the test runner). */
interface IBenchCall {
  url: string;
  method?: string;
  credentials?: RequestCredentials;
  cache: RequestCache;
  headers: Record<string, string>;
  /** A call to the Jupyter server: send its XSRF header (from the `_xsrf` cookie). */
  jupyter?: boolean;
}

/** An answer to one call: status, relay mark, body, time. */
interface IBenchAnswer {
  status: number;
  /** `X-Portal-Token-Relay`, or `none`. */
  mark: string;
  text: string;
  ms: number;
  /** The call failed without an answer (network, timeout). */
  failed?: boolean;
}

/** The calls of the relay benchmark's cost part. */
type RelayCostCall =
  | 'xdmod direct'
  | 'xdmod relayed'
  | 'axivion direct'
  | 'axivion relayed'
  | 'jupyter floor';

/** Where the relay benchmark's calls are made from: the page, or the test runner (Node). */
type RelayFrom = 'page' | 'runner';

/** One side's calls of the cost part (the page has no direct Axivion call). */
type RelayCalls = Partial<Record<RelayCostCall, IBenchCall>>;

/** The ways the relay benchmark holds the portal settings. */
type RelaySettingsKey =
  'overrides' | 'user settings' | 'user settings, just written';

/**
 * Where the portals are, and whether the settings are left alone long enough for the relay to
 * serve its cached list (settled) or were written just before each round (read on every call).
 */
const RELAY_SETTINGS: readonly {
  key: RelaySettingsKey;
  where: PortalsWhere;
  settled: boolean;
}[] = [
  { key: 'overrides', where: 'administrator overrides', settled: true },
  { key: 'user settings', where: 'user settings', settled: true },
  {
    key: 'user settings, just written',
    where: 'user settings',
    settled: false
  }
];

/** Per call of the cost part: its times, statuses, relay marks and what the answers were. */
type RelayCost = Partial<
  Record<
    RelayCostCall,
    {
      ms: number[];
      statuses: Record<string, number>;
      marks: Record<string, number>;
      answers: Record<string, number>;
    }
  >
>;

/** A cost record with nothing in it yet. */
function emptyCost(names: RelayCostCall[]): RelayCost {
  return Object.fromEntries(
    names.map(name => [name, { ms: [], statuses: {}, marks: {}, answers: {} }])
  );
}

/** Count one more `key`. */
function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** One burst of the relay benchmark. */
interface IRelayBurst {
  from: RelayFrom;
  settings: RelaySettingsKey;
  round: number;
  /** First call sent → last answer read. */
  wallMs: number;
  /** 200, marked `portal`, and the expected portal's answer. */
  answered: number;
  /** No answer, or not 200 / not marked `portal`. */
  lost: number;
  /** 200 and marked `portal`, but another call's answer. */
  mixed: number;
  medianCallMs: number;
  maxCallMs: number;
  /** Each call that was not answered as expected (no body). */
  wrong: {
    index: number;
    status: number;
    mark: string;
    expected: string;
    got: string;
  }[];
}

/**
 * What an answer is, from its body: the XDMoD token's dates, or the Axivion user whose info
 * document it is. Never a value of a secret.
 */
function answerOf(text: string): string {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (json?.success === true && typeof json.data?.created_on === 'string') {
    return `xdmod token created ${json.data.created_on}`;
  }
  if (typeof json?.username === 'string' && 'dashboardVersion' in json) {
    return `axivion user ${json.username}`;
  }
  return 'something else';
}

/** Count a burst's answers against the calls' expected ones. */
function judgeBurst(
  which: Pick<IRelayBurst, 'from' | 'settings' | 'round'>,
  calls: { expected: string }[],
  result: { wallMs: number; answers: IBenchAnswer[] }
): IRelayBurst {
  const burst: IRelayBurst = {
    ...which,
    wallMs: result.wallMs,
    answered: 0,
    lost: 0,
    mixed: 0,
    medianCallMs: median(result.answers.map(a => a.ms)),
    maxCallMs: Math.max(...result.answers.map(a => a.ms)),
    wrong: []
  };
  result.answers.forEach((answer, index) => {
    const expected = calls[index].expected;
    const got = answer.failed ? 'no answer' : answerOf(answer.text);
    if (answer.failed || answer.status !== 200 || answer.mark !== 'portal') {
      burst.lost += 1;
    } else if (got !== expected) {
      burst.mixed += 1;
    } else {
      burst.answered += 1;
      return;
    }
    burst.wrong.push({
      index,
      status: answer.status,
      mark: answer.mark,
      expected,
      got
    });
  });
  return burst;
}

/**
 * In the page: make the calls one after the other; each answer's status, mark and body.
 */
async function relayCalls(calls: IBenchCall[]): Promise<IBenchAnswer[]> {
  const xsrf = /(?:^|;\s*)_xsrf=([^;]*)/.exec(document.cookie)?.[1];
  const answers: IBenchAnswer[] = [];
  for (const call of calls) {
    const started = performance.now();
    const response = await fetch(call.url, {
      method: call.method ?? 'GET',
      credentials: call.credentials ?? 'same-origin',
      cache: call.cache,
      headers: {
        ...call.headers,
        ...(call.jupyter && xsrf ? { 'X-XSRFToken': xsrf } : {})
      }
    });
    const text = await response.text();
    answers.push({
      status: response.status,
      mark: response.headers.get('X-Portal-Token-Relay') ?? 'none',
      text,
      ms: performance.now() - started
    });
  }
  return answers;
}

/**
 * In the test runner: make the calls one after the other with Node's own http client (no
 * browser, no CORS), each timed until its body is read; as `relayCalls` does in the page.
 */
async function runnerCalls(
  calls: IBenchCall[],
  agent: http.Agent
): Promise<IBenchAnswer[]> {
  const answers: IBenchAnswer[] = [];
  for (const call of calls) {
    const started = performance.now();
    answers.push(
      await new Promise<IBenchAnswer>((resolve, reject) => {
        const request = http.request(
          call.url,
          { method: call.method ?? 'GET', headers: call.headers, agent },
          response => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const mark = response.headers['x-portal-token-relay'];
              resolve({
                status: response.statusCode ?? 0,
                mark: typeof mark === 'string' ? mark : 'none',
                text: Buffer.concat(chunks).toString('utf-8'),
                ms: performance.now() - started
              });
            });
          }
        );
        request.setTimeout(30000, () =>
          request.destroy(new Error(`no answer from ${call.url}`))
        );
        request.on('error', reject);
        request.end();
      })
    );
  }
  return answers;
}

/**
 * In the page: every call at once (Promise.all); the wall time until the last answer is read.
 */
async function relayBurst(
  calls: IBenchCall[]
): Promise<{ wallMs: number; answers: IBenchAnswer[] }> {
  const xsrf = /(?:^|;\s*)_xsrf=([^;]*)/.exec(document.cookie)?.[1];
  const started = performance.now();
  const answers = await Promise.all(
    calls.map(async (call): Promise<IBenchAnswer> => {
      const t0 = performance.now();
      try {
        const response = await fetch(call.url, {
          method: call.method ?? 'GET',
          credentials: call.credentials ?? 'same-origin',
          cache: call.cache,
          headers: {
            ...call.headers,
            ...(call.jupyter && xsrf ? { 'X-XSRFToken': xsrf } : {})
          },
          signal: AbortSignal.timeout(30000)
        });
        const text = await response.text();
        return {
          status: response.status,
          mark: response.headers.get('X-Portal-Token-Relay') ?? 'none',
          text,
          ms: performance.now() - t0
        };
      } catch {
        return {
          status: 0,
          mark: 'none',
          text: '',
          ms: performance.now() - t0,
          failed: true
        };
      }
    })
  );
  return { wallMs: performance.now() - started, answers };
}

/**
 * The same burst from the test runner (Playwright's request context, with the page's cookies),
 * which holds no browser's limit of 6 connections to one origin: all calls on the wire at once.
 */
async function runnerBurst(
  page: Page,
  calls: IBenchCall[]
): Promise<{ wallMs: number; answers: IBenchAnswer[] }> {
  const cookies = await page.context().cookies();
  const xsrf = cookies.find(cookie => cookie.name === '_xsrf')?.value;
  const started = performance.now();
  const answers = await Promise.all(
    calls.map(async (call): Promise<IBenchAnswer> => {
      const t0 = performance.now();
      try {
        const response = await page.request.fetch(call.url, {
          method: call.method ?? 'GET',
          headers: {
            ...call.headers,
            ...(call.jupyter && xsrf ? { 'X-XSRFToken': xsrf } : {})
          },
          timeout: 30000
        });
        const text = await response.text();
        return {
          status: response.status(),
          mark: response.headers()['x-portal-token-relay'] ?? 'none',
          text,
          ms: performance.now() - t0
        };
      } catch {
        return {
          status: 0,
          mark: 'none',
          text: '',
          ms: performance.now() - t0,
          failed: true
        };
      }
    })
  );
  return { wallMs: performance.now() - started, answers };
}

/**
 * Make the page believe its tab is hidden, as a browser tells it: `document.hidden`,
 * `visibilityState`, `visibilitychange`, and a window `blur`. Headless Chromium hides no tab.
 */
async function hideTab(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', {
      configurable: true,
      get: () => true
    });
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => 'hidden'
    });
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('blur'));
  });
}

/**
 * The tab is shown again: `visibilitychange`, then a window `focus`, as a browser does.
 */
async function showTab(page: Page): Promise<void> {
  await page.evaluate(() => {
    delete (document as any).hidden;
    delete (document as any).visibilityState;
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('focus'));
  });
}

/**
 * Three JupyterLab pages, each in its own context, idle from now on: the token panel open, the
 * panel closed, and the panel open in a hidden tab. Portal requests are
 * counted from the page's side (every request outside JupyterLab, and every relayed call).
 */
async function startIdlePages(
  browser: Browser,
  baseURL: string,
  storageState: string
): Promise<{ pages: IIdlePage[]; start: number }> {
  const pages: IIdlePage[] = [];
  for (const name of ['panel open', 'panel closed', 'tab hidden'] as const) {
    const context = await browser.newContext({ storageState });
    const page = await context.newPage();
    const item: IIdlePage = { name, context, page, requests: [] };
    page.on('request', request => {
      if (isPortalRequest(request.url(), baseURL)) {
        const url = new URL(request.url());
        item.requests.push({
          at: Date.now(),
          method: request.method(),
          path: `${url.origin}${url.pathname}`
        });
      }
    });
    await openLab(page, baseURL, `bench-idle-${name.replace(' ', '-')}`);
    const panel = await tokenPanel(page);
    await expect(panel).toContainText(/token/);
    // No live token here: a page with a live token puts it into every kernel of the server,
    // the other benchmarks' kernels included.
    if (name === 'panel closed') {
      await page.evaluate(() =>
        (window as any).jupyterapp.shell.collapseLeft()
      );
      await expect(panel).toBeHidden();
    } else if (name === 'tab hidden') {
      await hideTab(page);
    }
    pages.push(item);
  }
  return { pages, start: Date.now() };
}

/**
 * Open notebooks with Python kernels, wait until they are ready, and start the watcher in each.
 * Returns their kernel ids.
 */
async function startWatchedNotebooks(
  page: Page,
  count: number,
  logs: string
): Promise<string[]> {
  const codes = { dir: logs, template: watcherCode('@FILE@') };
  return page.evaluate(
    async ({ count, codes }) => {
      const app = (window as any).jupyterapp;
      const panels: any[] = [];
      // One after the other: new untitled files are named by the server in turn.
      for (let i = 0; i < count; i++) {
        panels.push(
          await app.commands.execute('notebook:create-new', {
            kernelName: 'python3'
          })
        );
      }
      await Promise.all(panels.map(panel => panel.sessionContext.ready));
      const ids: string[] = [];
      for (const panel of panels) {
        const kernel = panel.sessionContext.session.kernel;
        ids.push(kernel.id);
        const file = `${codes.dir}/${kernel.id}.log`;
        await kernel.requestExecute({
          code: codes.template.replace('@FILE@', file),
          silent: true,
          store_history: false
        }).done;
      }
      const w = window as any;
      w.__benchPanels = (w.__benchPanels ?? []).concat(panels);
      return ids;
    },
    { count, codes }
  );
}

/**
 * In the page: open new notebooks one by one and run their cell the moment the kernel
 * connection exists (even runs) or the kernel first says `idle` (odd runs).
 */
async function raceBatch({
  offset,
  count,
  code
}: {
  offset: number;
  count: number;
  code: string;
}): Promise<{ mode: string; output: string; ms: number }[]> {
  const app = (window as any).jupyterapp;
  const results: { mode: string; output: string; ms: number }[] = [];
  for (let i = 0; i < count; i++) {
    const mode = (offset + i) % 2 === 0 ? 'connection' : 'idle';
    const started = performance.now();
    const panel = await app.commands.execute('notebook:create-new', {
      kernelName: 'python3'
    });
    const file = panel.context.path;
    // The notebook's content replaces its cells once the file is loaded: write the cell then.
    await panel.context.ready;
    panel.content.model.cells.get(0).sharedModel.setSource(code);
    const context = panel.sessionContext;
    let run: Promise<unknown> | undefined;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the kernel never became ready')),
        120000
      );
      const go = () => {
        if (run) {
          return;
        }
        const kernel = context.session?.kernel;
        const ready =
          mode === 'connection'
            ? !!kernel
            : kernel?.status === 'idle' &&
              kernel?.connectionStatus === 'connected';
        if (ready) {
          clearTimeout(timer);
          run = app.commands.execute('notebook:run-all-cells');
          resolve();
        }
      };
      context.kernelChanged.connect(go);
      context.statusChanged.connect(go);
      context.connectionStatusChanged.connect(go);
      go();
    });
    await run;
    const outputs = panel.content.model.cells.get(0).outputs.toJSON() as any[];
    const output = outputs
      .map(o => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
      .join('')
      .trim();
    results.push({ mode, output, ms: performance.now() - started });
    await context.shutdown();
    panel.dispose();
    await app.serviceManager.contents.delete(file);
  }
  return results;
}

/** The typed race's two kinds of page. */
type TypedVariant = 'enabled' | 'disabled';

/** One run of the typed first-cell race. */
interface ITypedRun {
  variant: TypedVariant;
  round: number;
  /** The cell showed an output or an execution count within `TYPED_LIMIT_MS`. */
  ran: boolean;
  /** The cell's output text, trimmed. */
  output: string;
  /** The cell's input prompt at the end, e.g. `[1]:` or `[*]:`. */
  prompt: string;
  /** The cell's source is what was typed. */
  typed: boolean;
  /** `notebook:create-new` → the status bar shows the kernel `Idle`. */
  msToIdle: number;
  /** `Idle` shown → Shift+Enter pressed (the click and the typing). */
  msTyping: number;
  /** Shift+Enter → output shown; null when it never came. */
  msToOutput: number | null;
  /** Tokens the Jupyter server held when the notebook was created. */
  serverTokens: number;
}

/**
 * One run of the typed race, in a page of its own (closing it skips JupyterLab's "unsaved
 * changes" prompt): load JupyterLab with the extension on (and generate a token) or off, create
 * a notebook, wait until the status bar shows its kernel `Idle`, click into the first cell,
 * type it, press Shift+Enter, and wait up to `TYPED_LIMIT_MS` for its output.
 */
async function typedRun(
  main: Page,
  baseURL: string,
  variant: TypedVariant,
  round: number
): Promise<ITypedRun> {
  setExtensionEnabled(variant === 'enabled');
  const page = await main.context().newPage();
  try {
    await openLab(page, baseURL, `bench-typed-${variant}-${round}`);
    const tab = page.getByRole('tab', { name: 'API tokens' });
    if (variant === 'enabled') {
      await expect(tab).toBeAttached();
      await generateToken(page);
    } else {
      await expect(tab).toHaveCount(0);
    }
    const tokens = (await serverTokens(page, baseURL)).length;
    const created = Date.now();
    const file = await page.evaluate(async () => {
      const panel = await (window as any).jupyterapp.commands.execute(
        'notebook:create-new',
        { kernelName: 'python3' }
      );
      return panel.context.path as string;
    });
    try {
      const name = file.split('/').pop() as string;
      // As a person watching: the status bar's kernel item reads "… | Idle" (checked every
      // frame, so this is the moment it is shown).
      const idleAt = (await (
        await page.waitForFunction(
          title => {
            const item = document.querySelector(
              `#jp-main-statusbar [title="${title}"]`
            );
            return item?.textContent?.endsWith('| Idle') ? Date.now() : 0;
          },
          `Change kernel for ${name}`,
          { polling: 'raf', timeout: 120000 }
        )
      ).jsonValue()) as number;
      const editor = page
        .locator('.jp-NotebookPanel .jp-CodeCell .cm-content')
        .first();
      await editor.click();
      await page.keyboard.type(TYPED_CELL);
      await page.keyboard.press('Shift+Enter');
      const pressed = Date.now();
      const result = await page.evaluate(limit => {
        const panel = (window as any).jupyterapp.shell.currentWidget;
        const cell = panel.content.model.cells.get(0);
        const node = panel.content.widgets[0].node as HTMLElement;
        const read = () => ({
          output: (
            node.querySelector('.jp-OutputArea-output')?.textContent ?? ''
          ).trim(),
          count: cell.executionCount as number | null,
          prompt: (
            node.querySelector('.jp-InputPrompt')?.textContent ?? ''
          ).trim(),
          source: cell.sharedModel.getSource() as string,
          at: Date.now()
        });
        return new Promise<ReturnType<typeof read>>(resolve => {
          const deadline = Date.now() + limit;
          let first: ReturnType<typeof read> | null = null;
          const check = () => {
            const now = read();
            first ??= now.output ? now : null;
            // The output's moment; the execution count follows with the reply.
            if (
              (first && (now.count !== null || Date.now() > first.at + 2000)) ||
              Date.now() > deadline
            ) {
              resolve(first ? { ...now, at: first.at } : now);
            } else {
              setTimeout(check, 20);
            }
          };
          check();
        });
      }, TYPED_LIMIT_MS);
      const ran = result.output !== '' || result.count !== null;
      return {
        variant,
        round,
        ran,
        output: result.output,
        prompt: result.prompt,
        typed: result.source === TYPED_CELL,
        msToIdle: idleAt - created,
        msTyping: pressed - idleAt,
        msToOutput: result.output ? result.at - pressed : null,
        serverTokens: tokens
      };
    } finally {
      await shutdownAll(page, baseURL);
      await page.request.delete(
        `${baseURL}/api/contents/${file.split('/').map(encodeURIComponent).join('/')}`
      );
      if (variant === 'enabled') {
        // No token left for the next run, so that "disabled" runs hold none anywhere.
        await revokeToken(page);
      }
    }
  } finally {
    await page.close();
  }
}

/** How the launch-injection benchmark starts new kernel processes. */
const LAUNCH_MODES = [
  'notebooks one at a time',
  'restarts',
  'notebooks at once',
  'kernels without a widget'
] as const;

/** One new kernel process of the launch-injection benchmark. */
interface ILaunchKernel {
  mode: (typeof LAUNCH_MODES)[number];
  kernelId: string;
  /** The injector's state for the portal once it settled. */
  state: string;
  /** What the checking cell printed. */
  output: string;
  /** `injectionExecutes` + `inputReplies`. */
  injectionMessages: number;
  /** `execute_request`s with `silent` and `allow_stdin`. */
  injectionExecutes: number;
  /** `input_reply`s. */
  inputReplies: number;
  /** `execute_request`s with `silent` but no `allow_stdin` (the removal's code). */
  otherSilentExecutes: number;
  /** Every message the page sent this process, by type and connection kind. */
  sent: Record<string, number>;
  /** Kernel connections the page made to it. */
  connections: number;
  /** Start (or restart) → the injector's state settled. */
  msToSettled: number;
  /** The first new connection to it (`Date.now()` in the page), or the restart. */
  connectedAt: number;
  /** When the first injection message was sent, if any. */
  firstInjectionAt: number | null;
  /**
   * For a kernel that got injection messages: the last answer of `GET portal-token/kernels`
   * before them, how long before the kernel's connection it was asked, and whether it listed
   * this kernel.
   */
  lastAnswerBefore?: {
    askedMsBeforeConnection: number;
    listedThisKernel: boolean;
  } | null;
}

/**
 * In the page, before any kernel starts: wrap `serviceManager.kernels.connectTo` (through which
 * session contexts and the injector connect), and note every message sent on each connection.
 */
function installMessageTap(): void {
  const w = window as any;
  const manager = w.jupyterapp.serviceManager.kernels;
  const tap = {
    log: [] as {
      kernelId: string;
      at: number;
      type: string;
      silent: boolean;
      allowStdin: boolean;
      handleComms: boolean;
    }[],
    connections: [] as { kernelId: string; at: number; handleComms: boolean }[]
  };
  w.__benchTap = tap;
  const connectTo = manager.connectTo;
  manager.connectTo = function (options: any) {
    const connection = connectTo.call(this, options);
    tap.connections.push({
      kernelId: connection.id,
      at: Date.now(),
      handleComms: connection.handleComms
    });
    connection.anyMessage.connect((sender: any, args: any) => {
      if (args.direction !== 'send') {
        return;
      }
      const msg = args.msg;
      tap.log.push({
        kernelId: sender.id,
        at: Date.now(),
        type: msg.header.msg_type,
        silent: msg.content?.silent === true,
        allowStdin: msg.content?.allow_stdin === true,
        handleComms: sender.handleComms
      });
    });
    return connection;
  };
}

/**
 * In the page (with `installMessageTap`): start `count` new kernel processes one way, wait
 * until the injector's state for the portal settles in each, check with a cell that each holds
 * the token, and count what the page sent each process since its start.
 */
async function launchBatch({
  mode,
  count,
  portal,
  code
}: {
  mode: (typeof LAUNCH_MODES)[number];
  count: number;
  portal: string;
  code: string;
}): Promise<ILaunchKernel[]> {
  const w = window as any;
  const app = w.jupyterapp;
  const tap = w.__benchTap;
  const injector = app.pluginRegistry._plugins.get(
    'jupyterlab-portal-token:injector'
  ).service;
  const sleep = (ms: number) =>
    new Promise<void>(resolve => setTimeout(resolve, ms));
  const settled = (id: string): Promise<string> =>
    new Promise(resolve => {
      const deadline = Date.now() + 60000;
      const check = () => {
        const state = injector
          .status(portal)
          .find((s: any) => s.kernelId === id)?.state;
        if (
          state === 'injected' ||
          state === 'failed' ||
          state === 'unsupported' ||
          Date.now() > deadline
        ) {
          resolve(state ?? 'none');
        } else {
          setTimeout(check, 20);
        }
      };
      check();
    });
  const run = async (kernel: any): Promise<string> => {
    let text = '';
    const future = kernel.requestExecute({
      code,
      silent: false,
      store_history: false,
      allow_stdin: false
    });
    future.onIOPub = (msg: any) => {
      if (msg.header.msg_type === 'stream') {
        text += msg.content.text;
      }
    };
    await future.done;
    return text.trim();
  };
  const newNotebook = () =>
    app.commands.execute('notebook:create-new', { kernelName: 'python3' });
  // Each process: its kernel connection, and since when its messages count.
  const started: { kernel: any; since: number; settledAt: number }[] = [];
  const states = new Map<string, string>();
  const note = async (item: (typeof started)[number]) => {
    states.set(item.kernel.id, await settled(item.kernel.id));
    item.settledAt = Date.now();
  };
  if (mode === 'notebooks one at a time') {
    w.__benchLaunchPanels = [];
    for (let i = 0; i < count; i++) {
      const since = Date.now();
      const panel = await newNotebook();
      w.__benchLaunchPanels.push(panel);
      await panel.sessionContext.ready;
      const item = {
        kernel: panel.sessionContext.session.kernel,
        since,
        settledAt: 0
      };
      started.push(item);
      await note(item);
    }
  } else if (mode === 'restarts') {
    for (const panel of w.__benchLaunchPanels as any[]) {
      const since = Date.now();
      await panel.sessionContext.restartKernel();
      const kernel = panel.sessionContext.session.kernel;
      while (kernel.status !== 'idle') {
        await sleep(20);
      }
      const item = { kernel, since, settledAt: 0 };
      started.push(item);
      await note(item);
    }
  } else if (mode === 'notebooks at once') {
    const since = Date.now();
    const panels: any[] = [];
    // One after the other (the server names new files in turn); the kernels start together.
    for (let i = 0; i < count; i++) {
      panels.push(await newNotebook());
    }
    await Promise.all(panels.map(panel => panel.sessionContext.ready));
    w.__benchLaunchPanels.push(...panels);
    for (const panel of panels) {
      started.push({
        kernel: panel.sessionContext.session.kernel,
        since,
        settledAt: 0
      });
    }
    await Promise.all(started.map(note));
  } else {
    w.__benchLaunchKernels = [];
    for (let i = 0; i < count; i++) {
      const since = Date.now();
      const kernel = await app.serviceManager.kernels.startNew({
        name: 'python3'
      });
      w.__benchLaunchKernels.push(kernel);
      const item = { kernel, since, settledAt: 0 };
      started.push(item);
      await note(item);
    }
  }
  // Anything still on its way would come now.
  await sleep(1000);
  const outputs = await Promise.all(started.map(item => run(item.kernel)));
  await sleep(500);
  const results: ILaunchKernel[] = started.map((item, i) => {
    const id = item.kernel.id;
    const mine = (tap.log as any[]).filter(
      m => m.kernelId === id && m.at >= item.since
    );
    const sent: Record<string, number> = {};
    for (const m of mine) {
      const key =
        `${m.type}${m.silent ? ' silent' : ''}${m.allowStdin ? ' stdin' : ''}` +
        (m.handleComms ? '' : ' (connection without comms)');
      sent[key] = (sent[key] ?? 0) + 1;
    }
    const injection = mine.filter(
      m =>
        (m.type === 'execute_request' && m.silent && m.allowStdin) ||
        m.type === 'input_reply'
    );
    const replies = injection.filter(m => m.type === 'input_reply').length;
    const executes = injection.length - replies;
    const connected = (tap.connections as any[]).filter(
      c => c.kernelId === id && c.at >= item.since
    );
    return {
      mode,
      kernelId: id,
      state: states.get(id) ?? 'none',
      output: outputs[i],
      injectionMessages: executes + replies,
      injectionExecutes: executes,
      inputReplies: replies,
      otherSilentExecutes: mine.filter(
        m => m.type === 'execute_request' && m.silent && !m.allowStdin
      ).length,
      sent,
      connections: connected.length,
      msToSettled: item.settledAt - item.since,
      connectedAt: connected[0]?.at ?? item.since,
      firstInjectionAt: injection[0]?.at ?? null
    };
  });
  // Done with these processes (the notebooks of the first mode are restarted next).
  if (mode === 'restarts' || mode === 'notebooks at once') {
    for (const panel of w.__benchLaunchPanels.splice(0) as any[]) {
      const file = panel.context.path;
      await panel.sessionContext.shutdown();
      panel.dispose();
      await app.serviceManager.contents.delete(file);
    }
  } else if (mode === 'kernels without a widget') {
    for (const kernel of w.__benchLaunchKernels.splice(0) as any[]) {
      await kernel.shutdown();
      kernel.dispose();
    }
  }
  return results;
}

/**
 * In the page: open notebooks, wait until the token is in their kernel, and close them: even
 * ones shut their kernel down and close (the notebook's "close and shut down"); odd ones close
 * first, leaving the kernel running (JupyterLab's default on close; the extension then follows
 * it on its own connection), and the kernel is shut down afterwards.
 */
async function leakBatch({
  offset,
  count,
  portal
}: {
  offset: number;
  count: number;
  portal: string;
}): Promise<void> {
  const app = (window as any).jupyterapp;
  const injector = app.pluginRegistry._plugins.get(
    'jupyterlab-portal-token:injector'
  ).service;
  for (let i = 0; i < count; i++) {
    const panel = await app.commands.execute('notebook:create-new', {
      kernelName: 'python3'
    });
    const file = panel.context.path;
    const context = panel.sessionContext;
    await context.ready;
    const kernelId = context.session.kernel.id;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the token never reached the kernel')),
        60000
      );
      const check = () => {
        const status = injector
          .status(portal)
          .find((s: any) => s.kernelId === kernelId);
        if (status?.state === 'injected') {
          clearTimeout(timer);
          injector.changed.disconnect(check);
          resolve();
        }
      };
      injector.changed.connect(check);
      check();
    });
    if ((offset + i) % 2 === 0) {
      await context.shutdown();
      panel.dispose();
    } else {
      const sessionId = context.session.id;
      panel.dispose();
      await app.serviceManager.sessions.shutdown(sessionId);
    }
    await app.serviceManager.contents.delete(file);
  }
}

/**
 * In the page (with `leakProbe`): what the extension holds now.
 */
function holdings(): Record<string, number> {
  const w = window as any;
  const app = w.jupyterapp;
  const plugins = app.pluginRegistry._plugins;
  const injector = plugins.get('jupyterlab-portal-token:injector').service;
  const manager = plugins.get('jupyterlab-portal-token:plugin').service;
  const ours: object[] = [injector, manager, ...manager.models];
  const panel = Array.from(app.shell.widgets('left')).find(
    (widget: any) => widget.id === 'jp-PortalToken-panel'
  );
  if (panel) {
    ours.push(panel as object);
  }
  // Lumino's connection maps: arrays of { signal, slot, thisArg } keyed by receiver (the
  // thisArg, or the slot) and by sender.
  let byReceiver: WeakMap<object, any[]> | undefined;
  let bySender: WeakMap<object, any[]> | undefined;
  for (const ref of w.__bench.weakMaps as WeakRef<WeakMap<object, any>>[]) {
    const map = ref.deref();
    if (!map || (byReceiver && bySender)) {
      continue;
    }
    for (const object of ours) {
      const list = map.get(object);
      if (!Array.isArray(list)) {
        continue;
      }
      const live = list.find(
        c => c && typeof c === 'object' && 'slot' in c && c.signal
      );
      if (!live) {
        continue;
      }
      if (live.signal.sender === object) {
        bySender = map;
      } else if ((live.thisArg || live.slot) === object) {
        byReceiver = map;
      }
      break;
    }
  }
  const count = (map: WeakMap<object, any[]> | undefined) =>
    ours.reduce(
      (sum, object) =>
        sum + (map?.get(object) ?? []).filter((c: any) => c.signal).length,
      0
    );
  let kernelSockets = 0;
  let extensionSockets = 0;
  for (const [socket, fromExtension] of w.__bench.sockets as Map<
    WebSocket,
    boolean
  >) {
    if (socket.url.includes('/api/kernels/')) {
      kernelSockets += 1;
      extensionSockets += fromExtension ? 1 : 0;
    }
  }
  return {
    kernelSockets,
    extensionSockets,
    kernelConnections: app.serviceManager.kernels._kernelConnections.size,
    injectorLinks: injector.connections.links,
    injectorKernels: injector.connections.kernels,
    injectorContexts: injector.connections.contexts,
    signalConnections: count(byReceiver) + count(bySender),
    signalsAsReceiver: count(byReceiver),
    signalsAsSender: count(bySender),
    timers: w.__bench.timers.size
  };
}

/**
 * The list rotated by `n`.
 */
function rotate<T>(list: T[], n: number): T[] {
  const k = n % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
