/**
 * After a full session in a real browser (generate, inject into Python and R kernels, run and
 * save notebooks, restart, revoke), the secrets are in none of the places they could leak to:
 * the saved notebooks (and their checkpoints), IPython's history database, every websocket
 * frame the page received (IOPub with `execute_input`, shell, control, stdin), the frames it sent
 * other than the injection's own `input_reply` on stdin, every request the page sent to
 * JupyterLab's server and its API answers (settings, workspaces, contents), localStorage,
 * sessionStorage, IndexedDB, Cache Storage and cookies, the demo's log (the portal's lines and
 * JupyterLab's), the browser console, and the DOM once "Copy token" (the one disclosure) is done.
 *
 * The secrets are read from the clipboard after "Copy token", never printed: findings name the
 * sink and the part found, with the secrets redacted.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, BrowserContext } from '@playwright/test';
import { execFileSync } from 'child_process';
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  answerDialog,
  AXIVION,
  cellOutput,
  generateIn,
  newNotebook,
  openPortalSection,
  portalUrl,
  PYTHON_AXIVION,
  PYTHON_SODAR,
  PYTHON_USE_TOKEN,
  resetPortal,
  SODAR,
  test,
  XDMOD
} from './helpers';

// The workspace is saved to the server for real (Galata would keep it in the page).
test.use({ mockState: false });

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** One recognisable part of a secret. */
interface INeedle {
  /** The secret's name, e.g. "XDMoD token". */
  name: string;
  /** Which part, e.g. "last 16". */
  part: string;
  text: string;
}

/** The lowercase hex of a text's UTF-8 bytes. */
function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/**
 * The secrets and their parts, and what was found where. Findings never quote a secret.
 */
class Leaks {
  readonly needles: INeedle[] = [];
  readonly findings: string[] = [];
  readonly secrets = new Map<string, string>();

  /**
   * Watch for a secret: all of it after the 8-character preview (so the whole, too), and two
   * 16-character parts (a partial leak is a leak), each also as the hex of its bytes (the form
   * the injection's `input_reply` carries). The preview itself is shown by design.
   */
  add(name: string, secret: string): void {
    expect(secret.length, `${name} is long enough to cut`).toBeGreaterThan(24);
    expect(/^[\x21-\x7e]+$/.test(secret), `${name} is printable ASCII`).toBe(
      true
    );
    this.secrets.set(name, secret);
    for (const [part, text] of [
      ['after the preview', secret.slice(8)],
      ['characters 9-24', secret.slice(8, 24)],
      ['last 16', secret.slice(-16)]
    ]) {
      this.needles.push(
        { name, part, text },
        { name, part: `${part}, hex`, text: hex(text) }
      );
    }
  }

  /** The needles of `text`, each with how often it occurs. */
  hits(text: string): { needle: INeedle; count: number }[] {
    return this.needles
      .map(needle => ({ needle, count: text.split(needle.text).length - 1 }))
      .filter(hit => hit.count > 0);
  }

  /**
   * Scan one text of a sink: a finding per secret found, with the parts found and how often,
   * and some redacted text around it.
   */
  scan(sink: string, where: string, text: string): void {
    const hits = this.hits(text);
    for (const name of new Set(hits.map(hit => hit.needle.name))) {
      const parts = hits
        .filter(hit => hit.needle.name === name)
        .map(hit => `${hit.needle.part} ×${hit.count}`);
      this.findings.push(
        `${sink}: ${name} (${parts.join(', ')}) in ${where}: …${this.context(text, name)}…`
      );
    }
  }

  /** Some text around a secret's first occurrence, with every secret and part redacted. */
  private context(text: string, name: string): string {
    let redacted = text;
    for (const [secretName, secret] of this.secrets) {
      redacted = redacted.split(secret).join(`⟨${secretName}⟩`);
    }
    for (const needle of this.needles) {
      redacted = redacted
        .split(needle.text)
        .join(`⟨${needle.name}, ${needle.part}⟩`);
    }
    const at = Math.max(0, redacted.indexOf(`⟨${name}`));
    return redacted.slice(Math.max(0, at - 60), at + 100).replace(/\s+/g, ' ');
  }
}

/** A Jupyter message of a websocket frame: legacy JSON text or the v1 binary protocol. */
interface IFrameMessage {
  channel: string;
  msgType: string;
  content: Record<string, unknown>;
}

/**
 * Decode a kernel websocket frame. JupyterLab 4 speaks `v1.kernel.websocket.jupyter.org`: a
 * uint64 count n, n uint64 offsets, then channel, header, parent header, metadata, content
 * and buffers at those offsets. Null for frames of other websockets (events, terminals).
 */
function decodeFrame(payload: string | Buffer): IFrameMessage | null {
  try {
    if (typeof payload === 'string') {
      const msg = JSON.parse(payload);
      return {
        channel: String(msg.channel),
        msgType: String(msg.header?.msg_type ?? msg.msg_type),
        content: msg.content ?? {}
      };
    }
    const count = Number(payload.readBigUInt64LE(0));
    if (count < 5 || count > 1000 || payload.length < 8 * (count + 1)) {
      return null;
    }
    const offsets: number[] = [];
    for (let i = 0; i < count; i++) {
      offsets.push(Number(payload.readBigUInt64LE(8 * (i + 1))));
    }
    const part = (i: number) =>
      payload
        .subarray(offsets[i], i + 1 < count ? offsets[i + 1] : payload.length)
        .toString('utf8');
    return {
      channel: part(0),
      msgType: String(JSON.parse(part(1)).msg_type),
      content: JSON.parse(part(4))
    };
  } catch {
    return null;
  }
}

/** Everything of the DOM a secret could hide in: markup, form values, shadow roots, title. */
async function domText(page: IJupyterLabPageFixture): Promise<string> {
  const texts: string[] = [];
  for (const frame of page.frames()) {
    texts.push(
      await frame.evaluate(() => {
        const parts = [document.title, document.documentElement.outerHTML];
        const walk = (root: Document | ShadowRoot) => {
          root.querySelectorAll('*').forEach(element => {
            if (
              element instanceof HTMLInputElement ||
              element instanceof HTMLTextAreaElement ||
              element instanceof HTMLSelectElement
            ) {
              parts.push(element.value);
            }
            if (element.shadowRoot) {
              parts.push(element.shadowRoot.innerHTML);
              walk(element.shadowRoot);
            }
          });
        };
        walk(document);
        return parts.join('\n');
      })
    );
  }
  return texts.join('\n');
}

/**
 * Watch the DOM from now on for the needles (a secret shown only for a moment is shown):
 * every added node, changed text or attribute and typed value. Hits name the needle by index.
 */
async function watchDom(
  page: IJupyterLabPageFixture,
  needles: string[]
): Promise<void> {
  await page.evaluate(texts => {
    const w = window as unknown as {
      __sinkNeedles?: string[];
      __sinkHits?: string[];
    };
    const first = w.__sinkNeedles === undefined;
    w.__sinkNeedles = texts;
    w.__sinkHits ??= [];
    if (!first) {
      return;
    }
    const check = (text: string | null | undefined, where: string) => {
      w.__sinkNeedles!.forEach((needle, index) => {
        if (text?.includes(needle)) {
          w.__sinkHits!.push(`${index} ${where}`);
        }
      });
    };
    new MutationObserver(records => {
      for (const record of records) {
        if (record.type === 'characterData') {
          check(record.target.textContent, 'text');
        } else if (record.type === 'attributes' && record.attributeName) {
          const element = record.target as Element;
          check(
            element.getAttribute(record.attributeName),
            `attribute ${record.attributeName} of <${element.localName}>`
          );
        } else {
          record.addedNodes.forEach(node => {
            check(
              node instanceof Element ? node.outerHTML : node.textContent,
              `added ${node instanceof Element ? `<${node.localName}>` : 'text'}`
            );
          });
        }
      }
    }).observe(document, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true
    });
    document.addEventListener(
      'input',
      event => check((event.target as HTMLInputElement).value, 'input value'),
      true
    );
  }, needles);
}

/** Every browser storage of the page's origin, as (where, text) pairs. */
async function browserStorage(
  page: IJupyterLabPageFixture,
  context: BrowserContext
): Promise<{ where: string; text: string }[]> {
  const stored = await page.evaluate(async () => {
    const out: { where: string; text: string }[] = [];
    const request = <T>(req: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    // Values as text: strings, JSON, and the bytes of binary values and blobs.
    const flatten = async (value: unknown): Promise<string> => {
      if (value instanceof Blob) {
        return await value.text();
      }
      if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
        return new TextDecoder('utf-8').decode(value as ArrayBuffer);
      }
      if (Array.isArray(value)) {
        return (await Promise.all(value.map(flatten))).join('\n');
      }
      if (value && typeof value === 'object') {
        const entries = await Promise.all(
          Object.entries(value).map(
            async ([key, item]) => `${key}: ${await flatten(item)}`
          )
        );
        return entries.join('\n');
      }
      return String(value);
    };
    for (const [name, storage] of [
      ['localStorage', localStorage],
      ['sessionStorage', sessionStorage]
    ] as const) {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) as string;
        out.push({
          where: `${name} ${key}`,
          text: `${key}\n${storage.getItem(key)}`
        });
      }
    }
    for (const info of await indexedDB.databases()) {
      const db = await request(indexedDB.open(info.name as string));
      for (const storeName of Array.from(db.objectStoreNames)) {
        const store = db
          .transaction(storeName, 'readonly')
          .objectStore(storeName);
        const [keys, values] = await Promise.all([
          request(store.getAllKeys()),
          request(store.getAll())
        ]);
        out.push({
          where: `IndexedDB ${info.name}/${storeName} (${values.length} values)`,
          text: `${await flatten(keys)}\n${await flatten(values)}`
        });
      }
      db.close();
    }
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        out.push({
          where: `Cache Storage ${name} ${req.url}`,
          text: `${req.url}\n${res ? await res.text() : ''}`
        });
      }
    }
    return out;
  });
  stored.push({
    where: 'cookies',
    text: JSON.stringify(await context.cookies())
  });
  // Playwright's own view of the storage (IndexedDB included), as a second opinion.
  stored.push({
    where: 'storageState',
    text: JSON.stringify(await context.storageState({ indexedDB: true }))
  });
  return stored;
}

/** The files under a directory, recursively (hidden ones such as checkpoints included). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory()
      ? filesUnder(full)
      : entry.isFile()
        ? [full]
        : [];
  });
}

/** Copy a portal's token and read it from the clipboard. */
async function copyToken(
  page: IJupyterLabPageFixture,
  label: string
): Promise<string> {
  const sentinel = `not-copied-yet-${randomUUID()}`;
  await page.evaluate(text => navigator.clipboard.writeText(text), sentinel);
  const section = await openPortalSection(page, label);
  await section.getByRole('button', { name: 'Copy token' }).click();
  // A boolean, so that no failure message can quote the clipboard.
  await expect
    .poll(
      async () =>
        (await page.evaluate(() => navigator.clipboard.readText())) !== sentinel
    )
    .toBe(true);
  return await page.evaluate(() => navigator.clipboard.readText());
}

/** Run these cells of the active notebook; their outputs. */
async function run(
  page: IJupyterLabPageFixture,
  cells: number[]
): Promise<string[]> {
  const outputs: string[] = [];
  for (const index of cells) {
    await page.notebook.runCell(index, true);
    outputs.push(await cellOutput(page, index));
  }
  return outputs;
}

/** Shut every session and kernel down, and wait until they are gone; the kernels' ids. */
async function shutDownKernels(
  request: APIRequestContext,
  baseURL: string | undefined
): Promise<string[]> {
  const running = (await (
    await request.get(`${baseURL}/api/kernels`)
  ).json()) as { id: string }[];
  const sessions = await request.get(`${baseURL}/api/sessions`);
  for (const session of (await sessions.json()) as { id: string }[]) {
    await request.delete(`${baseURL}/api/sessions/${session.id}`);
  }
  const kernels = await request.get(`${baseURL}/api/kernels`);
  for (const kernel of (await kernels.json()) as { id: string }[]) {
    await request.delete(`${baseURL}/api/kernels/${kernel.id}`);
  }
  await expect
    .poll(
      async () =>
        ((await (await request.get(`${baseURL}/api/kernels`)).json()) as [])
          .length,
      { timeout: 60000 }
    )
    .toBe(0);
  return running.map(kernel => kernel.id);
}

/**
 * IPython's history database, read by Python: every cell of every table, and the raw bytes of
 * the file and its journals (freed pages keep old rows). The needles travel in the environment,
 * never on a command line; only labels and counts come back.
 */
const HISTORY_SCAN = `
import json, os, sqlite3, sys
needles = json.loads(os.environ["SINK_NEEDLES"])
path, marker = sys.argv[1], sys.argv[2]
found, rows, marked = [], 0, 0
for name in (path, path + "-journal", path + "-wal"):
    if os.path.exists(name):
        data = open(name, "rb").read()
        for label, text in needles:
            if text.encode() in data:
                found.append(label + " in the bytes of " + os.path.basename(name))
db = sqlite3.connect("file:" + path + "?mode=ro", uri=True, timeout=30)
tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
for table in tables:
    for row in db.execute('select * from "%s"' % table):
        rows += 1
        text = "\\n".join(str(v) for v in row)
        marked += marker in text
        for label, needle in needles:
            if needle in text:
                found.append(label + " in table " + table)
print(json.dumps({"tables": tables, "rows": rows, "marked": marked, "found": found}))
`;

test('no secret reaches any sink in a full session', async ({
  page,
  context,
  request,
  baseURL,
  tmpPath
}) => {
  test.setTimeout(480000);
  const leaks = new Leaks();
  const marker = `secret-sinks-${randomUUID()}`;

  // Everything the page sees, from a fresh load on.
  const frames: {
    url: string;
    direction: 'sent' | 'received';
    payload: string | Buffer;
  }[] = [];
  const consoleTexts: { where: string; text: string }[] = [];
  const pending: Promise<void>[] = [];
  const http: { where: string; text: string }[] = [];
  // The one request meant to carry values: the hand-over to the server half (its body only).
  const handOvers: { where: string; body: string }[] = [];
  // Portals on other origins are reached through the relay, which carries their own traffic:
  // a token in the answer that creates it, and Axivion's token as the portal's credentials in
  // `X-Portal-Authorization`. Nowhere else (URLs, other headers or answers, the log).
  const RELAY = /^\/jupyter\/portal-token\/relay\/([^/]+)\/(.*)$/;
  const CREATES = [
    'POST sodar tokens/api/login',
    'POST axivion api/users/demo/tokens'
  ];
  const relayed = new Set<string>();
  const relayCredentials: string[] = [];
  page.on('websocket', ws => {
    ws.on('framesent', frame =>
      frames.push({ url: ws.url(), direction: 'sent', payload: frame.payload })
    );
    ws.on('framereceived', frame =>
      frames.push({
        url: ws.url(),
        direction: 'received',
        payload: frame.payload
      })
    );
  });
  page.on('console', msg => {
    const where = `console.${msg.type()} at ${msg.location().url}:${msg.location().lineNumber}`;
    consoleTexts.push({ where, text: msg.text() });
    // The arguments themselves too (objects are only "JSHandle@object" in the text).
    pending.push(
      Promise.all(
        msg.args().map(arg =>
          arg.jsonValue().then(
            value => JSON.stringify(value) ?? '',
            () => ''
          )
        )
      ).then(values => {
        consoleTexts.push({
          where: `${where} (arguments)`,
          text: values.join('\n')
        });
      })
    );
  });
  page.on('pageerror', error => {
    consoleTexts.push({
      where: 'uncaught error',
      text: `${error.message}\n${error.stack ?? ''}`
    });
  });
  // Requests to JupyterLab's server (settings, workspaces, contents…) and its API answers.
  page.on('request', req => {
    const url = new URL(req.url());
    if (!url.pathname.startsWith('/jupyter/')) {
      return;
    }
    const where = `${req.method()} ${url.pathname}`;
    const handOver =
      req.method() === 'PUT' &&
      /^\/jupyter\/portal-token\/tokens\/[^/]+$/.test(url.pathname);
    const body = req.postDataBuffer()?.toString('utf8') ?? '';
    if (handOver) {
      handOvers.push({ where, body });
    }
    const relay = RELAY.exec(url.pathname);
    const route = relay ? `${req.method()} ${relay[1]} ${relay[2]}` : '';
    if (relay) {
      relayed.add(relay[1]);
    }
    pending.push(
      req
        .allHeaders()
        .catch(() => ({}) as Record<string, string>)
        .then(headers => {
          if (relay && 'x-portal-authorization' in headers) {
            const { 'x-portal-authorization': credentials, ...others } =
              headers;
            relayCredentials.push(`${relay[1]} ${credentials.split(' ')[0]}`);
            headers = others;
          }
          http.push({
            where: `request ${where}`,
            text: `${req.url()}\n${JSON.stringify(headers)}\n${handOver ? '' : body}`
          });
        })
    );
    // Every API answer, the server half's too, but for the one route that reads values and
    // the portals' answers that create a token.
    if (
      (/\/api\//.test(url.pathname) ||
        (/\/portal-token\//.test(url.pathname) &&
          !/\/portal-token\/tokens\/[^/]+\/value$/.test(url.pathname))) &&
      !CREATES.includes(route) &&
      ['fetch', 'xhr'].includes(req.resourceType())
    ) {
      pending.push(
        req
          .response()
          .then(res => res?.body())
          .then(body => {
            http.push({
              where: `answer to ${where}`,
              text: body?.toString('utf8') ?? ''
            });
          })
          .catch(() => undefined)
      );
    }
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: portalUrl(baseURL).replace(/\/$/, '')
  });
  await resetPortal(request, baseURL);
  await page.reload();

  // A Python notebook whose kernel runs before any token exists.
  const first = await newNotebook(page, 'python3');
  await page.notebook.setCell(
    0,
    'code',
    `import os\nprint("cwd:", os.getcwd())\nprint("history:", get_ipython().history_manager.hist_file)`
  );
  await page.notebook.addCell('code', PYTHON_USE_TOKEN);
  await page.notebook.addCell('code', PYTHON_SODAR);
  await page.notebook.addCell('code', PYTHON_AXIVION);
  // The secrets' digests (the secrets never printed), and a marker to find in the history.
  await page.notebook.addCell(
    'code',
    [
      `import hashlib  # ${marker}`,
      'print("sha256:", *[hashlib.sha256(os.environ.get(n, "").encode()).hexdigest()[:16] for n in ("XDMOD_API_TOKEN", "SODAR_API_TOKEN", "AXIVION_PASSWORD")])'
    ].join('\n')
  );
  const paths = await run(page, [0]);
  const cwd = /^cwd: (.+)$/m.exec(paths[0])?.[1] as string;
  const historyFile = /^history: (.+)$/m.exec(paths[0])?.[1] as string;
  expect(path.basename(cwd)).toBe(tmpPath);
  expect(historyFile).toMatch(/\.sqlite$/);
  const empty = createHash('sha256').update('').digest('hex').slice(0, 16);
  expect(await run(page, [1, 2, 3, 4])).toEqual([
    'token: MISSING status: -',
    'sodar: MISSING -',
    'axivion: MISSING None -',
    `sha256: ${empty} ${empty} ${empty}`
  ]);

  // Three tokens, each copied once: the clipboard is the one place a person gets them.
  const xdmod = await generateIn(page, XDMOD);
  leaks.add('XDMoD token', await copyToken(page, XDMOD));
  await watchDom(
    page,
    leaks.needles.map(n => n.text)
  );

  const sodar = await generateIn(page, SODAR);
  leaks.add('SODAR token', await copyToken(page, SODAR));
  await watchDom(
    page,
    leaks.needles.map(n => n.text)
  );

  const axivion = await generateIn(page, AXIVION);
  leaks.add('Axivion token', await copyToken(page, AXIVION));
  await watchDom(
    page,
    leaks.needles.map(n => n.text)
  );
  // The clipboard's copy is the person's: wipe it for the rest of the test.
  await page.evaluate(() => navigator.clipboard.writeText(''));

  const secrets = [...leaks.secrets.values()];
  expect(new Set(secrets).size).toBe(3);
  const digests = secrets
    .map(s => createHash('sha256').update(s).digest('hex').slice(0, 16))
    .join(' ');
  const domChecks: string[] = [];
  const checkDom = async (moment: string) => {
    domChecks.push(moment);
    leaks.scan('DOM', moment, await domText(page));
  };
  await checkDom('after the three tokens were copied');
  for (const label of [XDMOD, SODAR, AXIVION]) {
    // The masked preview is all the panel shows.
    const section = await openPortalSection(page, label);
    await expect(section.locator('.jp-PortalToken-secret code')).toHaveText(
      /^.{8}…$/
    );
  }

  // The running kernel got them all, and the portals take them.
  await page.notebook.activate(first);
  const live = [
    'token: set status: 200',
    'sodar: set 200',
    'axivion: set demo 200',
    `sha256: ${digests}`
  ];
  expect(await run(page, [1, 2, 3, 4])).toEqual(live);

  // A restart: the new process gets them again before the next cell.
  await page.menu.clickMenuItem('Kernel>Restart Kernel…');
  await answerDialog(page, 'Confirm Kernel Restart');
  expect(await run(page, [1, 2, 3, 4])).toEqual(live);
  await page.notebook.save();

  // A Python notebook started after the tokens.
  const second = await newNotebook(page, 'python3');
  await page.notebook.setCell(0, 'code', PYTHON_USE_TOKEN);
  expect(await run(page, [0])).toEqual(['token: set status: 200']);
  await page.notebook.save();

  // An R notebook: the token has the right length and XDMoD takes it.
  const rNotebook = await newNotebook(page, 'ir');
  await page.notebook.setCell(
    0,
    'code',
    'tok <- Sys.getenv("XDMOD_API_TOKEN"); st <- if (nzchar(tok)) tryCatch({ con <- url(paste0(Sys.getenv("XDMOD_HOST"), "/rest/v1/warehouse/resources"), headers = c(Authorization = paste("Bearer", tok))); invisible(readLines(con, warn = FALSE)); close(con); "200" }, error = function(e) "refused") else "-"; cat("r:", if (nzchar(tok)) "set" else "MISSING", nchar(tok), st, "\\n")'
  );
  const xdmodLength = leaks.secrets.get('XDMoD token')!.length;
  expect(await run(page, [0])).toEqual([`r: set ${xdmodLength} 200`]);
  await page.notebook.save();
  await checkDom('after running and saving the notebooks');

  // The notebooks as saved with live tokens.
  const saved = async (moment: string) => {
    const listing = await request.get(
      `${baseURL}/api/contents/${tmpPath}?content=1`
    );
    const files = (await listing.json()).content as { path: string }[];
    const notebooks = files.filter(f => f.path.endsWith('.ipynb'));
    expect(notebooks.map(f => path.basename(f.path)).sort()).toEqual(
      [first, second, rNotebook].sort()
    );
    const texts: string[] = [];
    for (const file of notebooks) {
      const res = await request.get(
        `${baseURL}/api/contents/${file.path}?content=1`
      );
      const text = await res.text();
      texts.push(text);
      leaks.scan(
        'saved notebook (contents API)',
        `${file.path} ${moment}`,
        text
      );
    }
    return texts.join('\n');
  };
  const whileLive = await saved('while the tokens were live');
  expect(whileLive).toContain('token: set status: 200');
  expect(whileLive).toContain(`r: set ${xdmodLength} 200`);

  // Revoke XDMoD's and Axivion's, remove SODAR's: gone from every kernel.
  await xdmod.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(
    xdmod.getByRole('button', { name: 'Generate token' })
  ).toBeVisible();
  await sodar.getByRole('button', { name: 'Remove from kernels' }).click();
  await answerDialog(page, 'Remove');
  await axivion.getByRole('button', { name: 'Revoke token' }).click();
  await answerDialog(page, 'Revoke');
  await expect(axivion.getByRole('button', { name: 'Sign in' })).toBeVisible();

  await page.notebook.activate(rNotebook);
  expect(await run(page, [0])).toEqual(['r: MISSING 0 -']);
  await page.notebook.save();
  await page.notebook.activate(first);
  expect(await run(page, [1, 2, 3, 4])).toEqual([
    'token: MISSING status: -',
    'sodar: MISSING -',
    'axivion: MISSING None -',
    `sha256: ${empty} ${empty} ${empty}`
  ]);
  await page.notebook.save();
  await page.notebook.activate(second);
  expect(await run(page, [0])).toEqual(['token: MISSING status: -']);
  await page.notebook.save();
  await saved('after the revoke');
  await checkDom('after the revoke');

  // Browser storage, then every kernel down (IPython writes its history) and the rest.
  for (const { where, text } of await browserStorage(page, context)) {
    leaks.scan('browser storage', where, text);
  }
  const workspaces = await request.get(`${baseURL}/lab/api/workspaces`);
  expect(workspaces.ok()).toBe(true);
  leaks.scan(
    'JupyterLab workspaces',
    '/lab/api/workspaces',
    await workspaces.text()
  );
  const settings = await request.get(`${baseURL}/lab/api/settings`);
  expect(settings.ok()).toBe(true);
  leaks.scan('JupyterLab settings', '/lab/api/settings', await settings.text());
  await checkDom('at the end');
  const domHits = await page.evaluate(
    () => (window as unknown as { __sinkHits: string[] }).__sinkHits
  );
  const watched = new Map<string, number>();
  for (const hit of domHits) {
    const [index, ...where] = hit.split(' ');
    const needle = leaks.needles[Number(index)];
    const key = `${needle.name} (${needle.part}) in ${where.join(' ')}`;
    watched.set(key, (watched.get(key) ?? 0) + 1);
  }
  for (const [key, count] of watched) {
    leaks.findings.push(`DOM (watched): ${key} ×${count}`);
  }

  const kernelIds = await shutDownKernels(request, baseURL);
  expect(kernelIds).toHaveLength(3);
  // JupyterLab logs the shutdowns; give the log and the last frames a moment.
  await page.waitForTimeout(2000);
  await Promise.all(pending);

  // Websocket frames: none received holds a secret; the only sent ones are the injection's.
  const injected = new Map<string, number>();
  let received = 0;
  let executeInputs = 0;
  for (const frame of frames) {
    const message = decodeFrame(frame.payload);
    const raw =
      typeof frame.payload === 'string'
        ? frame.payload
        : frame.payload.toString('utf8');
    if (frame.direction === 'received') {
      received += 1;
      if (message?.channel === 'iopub' && message.msgType === 'execute_input') {
        executeInputs += 1;
      }
    }
    const hits = leaks.hits(raw);
    if (!hits.length) {
      continue;
    }
    const value = message?.content.value;
    const isInjection =
      frame.direction === 'sent' &&
      message?.channel === 'stdin' &&
      message.msgType === 'input_reply' &&
      typeof value === 'string' &&
      hits.every(
        ({ needle, count }) => value.split(needle.text).length - 1 === count
      );
    if (isInjection) {
      for (const [name, secret] of leaks.secrets) {
        if (value.includes(hex(secret))) {
          injected.set(name, (injected.get(name) ?? 0) + 1);
        }
      }
      continue;
    }
    leaks.scan(
      `websocket frame ${frame.direction}`,
      `${message ? `${message.channel}/${message.msgType}` : 'undecoded frame'} on ${new URL(frame.url).pathname}`,
      raw
    );
  }
  // The capture works: the injections were seen going out, and cells' inputs coming back.
  expect(Object.fromEntries(injected)).toEqual({
    'XDMoD token': expect.any(Number),
    'SODAR token': expect.any(Number),
    'Axivion token': expect.any(Number)
  });
  expect(executeInputs).toBeGreaterThan(10);

  // The notebooks on disk, checkpoints included.
  const onDisk = filesUnder(cwd);
  expect(
    onDisk.filter(f => f.endsWith('.ipynb')).length
  ).toBeGreaterThanOrEqual(3);
  for (const file of onDisk) {
    leaks.scan(
      'file next to the notebooks',
      path.relative(cwd, file),
      fs.readFileSync(file, 'utf8')
    );
  }

  // IPython's history.
  const history = JSON.parse(
    execFileSync(
      fs.existsSync(PYTHON) ? PYTHON : 'python3',
      ['-c', HISTORY_SCAN, historyFile, marker],
      {
        env: {
          ...process.env,
          SINK_NEEDLES: JSON.stringify(
            leaks.needles.map(n => [`${n.name} (${n.part})`, n.text])
          )
        },
        encoding: 'utf8'
      }
    )
  ) as { tables: string[]; rows: number; marked: number; found: string[] };
  for (const found of history.found) {
    leaks.findings.push(`IPython history ${historyFile}: ${found}`);
  }
  // It was written, to the end: the marked cell ran four times in two processes.
  expect(history.tables).toContain('history');
  expect(history.marked).toBe(4);

  // The demo's log: the portal's request lines and JupyterLab's own.
  const logFile = process.env.DEMO_LOG_FILE as string;
  expect(logFile, 'playwright.config.ts sets DEMO_LOG_FILE').toBeTruthy();
  const log = fs.readFileSync(logFile, 'utf8');
  expect(log).toContain('GET /rest/v1/warehouse/resources 200');
  expect(log).toContain('GET /sodar/project/api/list 200');
  // This run's log, not an earlier one: it saw this session's kernels go.
  for (const id of kernelIds) {
    expect(log).toMatch(
      new RegExp(`^\\[jupyter\\] .*Kernel shutdown: ${id}$`, 'm')
    );
  }
  leaks.scan('demo log', logFile, log);

  // The console and JupyterLab's server as the page talked to it.
  for (const { where, text } of consoleTexts) {
    leaks.scan('browser console', where, text);
  }
  // Each portal's token was handed to the server half once, in its `variables` only.
  expect([...new Set(handOvers.map(h => h.where))].sort()).toEqual([
    'PUT /jupyter/portal-token/tokens/axivion',
    'PUT /jupyter/portal-token/tokens/sodar',
    'PUT /jupyter/portal-token/tokens/xdmod'
  ]);
  for (const { where, body } of handOvers) {
    const { variables, ...rest } = JSON.parse(body) as {
      variables: Record<string, string>;
    };
    expect(Object.keys(variables).length).toBeGreaterThan(0);
    leaks.scan(
      'HTTP to JupyterLab',
      `${where} (all but its variables)`,
      JSON.stringify(rest)
    );
  }
  for (const { where, text } of http) {
    leaks.scan('HTTP to JupyterLab', where, text);
  }
  // SODAR and Axivion (own origins, no CORS) went through the relay, XDMoD (this origin) not,
  // their credentials: the password (Basic) once for each, then Axivion's own token.
  expect([...relayed].sort()).toEqual(['axivion', 'sodar']);
  expect([...new Set(relayCredentials)].sort()).toEqual([
    'axivion AxToken',
    'axivion Basic',
    'sodar Basic'
  ]);

  console.log(
    [
      `secret-sinks: ${leaks.needles.length} needles of 3 secrets;`,
      `DOM at ${domChecks.length} moments and watched;`,
      `${frames.length} websocket frames (${received} received, ${executeInputs} execute_input;`,
      `input_reply with a secret: ${JSON.stringify(Object.fromEntries(injected))});`,
      `${http.length} HTTP records; ${consoleTexts.length} console records;`,
      `${onDisk.length} files on disk; history ${history.rows} rows (${history.marked} marked);`,
      `log ${log.split('\n').length} lines`
    ].join(' ')
  );
  expect(leaks.findings).toEqual([]);
});
