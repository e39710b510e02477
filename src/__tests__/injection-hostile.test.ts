/**
 * 10,000 hostile token values against real kernels: ipykernel and IRkernel behind a real
 * Jupyter server.
 *
 * The values are built to break out of whatever they might be pasted into (string literals of
 * Python, R and Julia, shells, format strings, the stdin exchange itself), and their code would
 * create a canary file if it ran. Each must either reach every kernel verbatim (its SHA-256,
 * computed in the kernel from the bytes of the process environment, equals ours) or be refused
 * by `set()` before any kernel is touched, with a message naming the variable and the reason.
 *
 * What "refused" means here, by design of the injector:
 * - a value holding NUL: no environment variable can hold it;
 * - a value holding an unpaired surrogate: it is not Unicode text, so it has no UTF-8 bytes
 *   to send (ipykernel would fail with a `UnicodeEncodeError`, IRkernel store something else);
 * - a value that makes `NAME=value` longer than 32,767 UTF-8 bytes: the largest variable every
 *   platform can hold and pass on (Windows' limit; on Linux a variable over 128 KiB makes
 *   every program the kernel starts fail with "Argument list too long").
 * Everything else is injected verbatim.
 */
import { Buffer } from 'buffer';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Kernel } from '@jupyterlab/services';
import { KernelInjector } from '../injection';
import {
  digest,
  hex,
  IR_SPEC,
  irkernelMissing,
  pythonDigests,
  rDigests,
  run,
  TestServer
} from './injection-server';

/** How many values, and the seed that makes them. */
const COUNT = 10000;
const SEED = 0x5eed7;
/** The variables' names: `sprintf(PATTERN, i)`, in Python and R alike. */
const PATTERN = 'PT_HOSTILE_%05d';
/** Variables per `set()` call: a source each, so that one refusal spoils no other. */
const BATCH = 250;
/** The largest `NAME=value` in UTF-8 bytes that the injector is expected to accept. */
const MAX_ASSIGNMENT_BYTES = 32767;
/** The size of the longest value. */
const MEGABYTE = 1024 * 1024;

const rMissing = irkernelMissing();
if (rMissing) {
  // A visible reason in the output, not a silent pass.
  console.warn(
    `Skipping the IRkernel part of the hostile values tests: ${rMissing}`
  );
}

/** The canary directory: any payload that runs creates a file in it. */
const CANARY_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-canary-'));
/** In every code payload, and in no message but an input reply. */
const CANARY_TAG = path.basename(CANARY_DIR);
const CANARY = path.join(CANARY_DIR, 'pwned');

function nameOf(i: number): string {
  return `PT_HOSTILE_${String(i).padStart(5, '0')}`;
}

/**
 * The variables whose digest read in a kernel differs from the expected one, described: the
 * value's for an accepted value that was `sent`, else `unset`.
 */
function mismatches(got: string[], sent: (i: number) => boolean): string[] {
  expect(got).toHaveLength(COUNT);
  const wrong: string[] = [];
  VALUES.forEach((value, i) => {
    const kind =
      REFUSALS[i] !== null ? 'refused' : sent(i) ? 'accepted' : 'not sent';
    const want = kind === 'accepted' ? digest(value) : 'unset';
    if (got[i] !== want) {
      wrong.push(
        `${NAMES[i]} (${kind}, ${utf8Length(value)} bytes): ${JSON.stringify(value.slice(0, 80))} read back as ${got[i]}`
      );
    }
  });
  // Enough to see what went wrong, and how much.
  return wrong.length > 20
    ? [...wrong.slice(0, 20), `… and ${wrong.length - 20} more`]
    : wrong;
}

/** Whether a string is Unicode text: it survives UTF-8 (a lone surrogate does not). */
function isText(value: string): boolean {
  return Buffer.from(value, 'utf8').toString('utf8') === value;
}

/** The reasons a refusal must give. */
const NUL = /NUL/;
const SURROGATE = /surrogate/;
const TOO_LONG = /too long/;

/** What the injector must answer `set()` with for this value (`null`: accept it). */
function expectedRefusal(name: string, value: string): RegExp | null {
  if (value.includes('\0')) {
    return NUL;
  }
  if (!isText(value)) {
    return SURROGATE;
  }
  if (utf8Length(`${name}=${value}`) > MAX_ASSIGNMENT_BYTES) {
    return TOO_LONG;
  }
  return null;
}

function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * Code that creates `canary` if it runs, for each place a value could be pasted into: after or
 * inside a string literal of Python, R or Julia, a shell command, a template.
 */
function payloads(canary: string): string[] {
  const c = canary;
  return [
    // Python
    `'); import os; os.system('touch ${c}')#`,
    `"); import os; os.system("touch ${c}")#`,
    `'''); open('${c}', 'w')#`,
    `"""); open("${c}", "w")#`,
    `\\'); open('${c}', 'w')#`,
    `\n__import__('os').system('touch ${c}')\n`,
    `';\nopen('${c}', 'w')\n#`,
    `'+str(open('${c}','w'))+'`,
    `{__import__('pathlib').Path('${c}').touch()}`,
    `{open('${c}','w')}`,
    `%(__import__('os').system('touch ${c}'))s`,
    `\r\nimport os\r\nos.system('touch ${c}')\r\n`,
    `__import__("os").system("touch ${c}")`,
    `exec("open('${c}','w')")`,
    `'''\nopen('${c}','w')\n'''`,
    `\\\nopen('${c}','w')`,
    `#\nopen('${c}','w')`,
    `!touch ${c}`,
    `%system touch ${c}`,
    `get_ipython().system('touch ${c}')`,
    `', None)\nopen('${c}', 'w')\n('`,
    // R
    `"); system("touch ${c}") #`,
    `'); system('touch ${c}') #`,
    `")\nfile.create("${c}")\n#`,
    `\\"); file.create(\\"${c}\\") #`,
    `"; file.create("${c}"); "`,
    `\`r system("touch ${c}")\``,
    `)"); file.create("${c}"); r"(`,
    `]"); file.create("${c}"); r"[`,
    `\`; file.create("${c}"); \``,
    `"); local(file.create("${c}")); invisible("`,
    `eval(parse(text = 'file.create("${c}")'))`,
    `\r\nsystem2("touch", "${c}")\r\n`,
    `"), Sys.setenv(X = system("touch ${c}")), c("`,
    `\\x22); file.create(\\x22${c}\\x22) #`,
    `\\u0022); file.create(\\u0022${c}\\u0022) #`,
    `"))\n})\nfile.create("${c}")\nlocal({(("`,
    // Julia
    `"); run(\`touch ${c}\`) #`,
    `$(run(\`touch ${c}\`))`,
    `$(touch("${c}"))`,
    `\\$(touch("${c}"))`,
    `"; touch("${c}"); "`,
    `""") ; touch("${c}") #`,
    `"*string(touch("${c}"))*"`,
    `\n  touch("${c}")\nend\n`,
    `); end; touch("${c}"); let (`,
    `:(touch("${c}"))`,
    `@eval touch("${c}")`,
    // Shells and templates
    `$(touch ${c})`,
    `\`touch ${c}\``,
    `; touch ${c}`,
    `| touch ${c}`,
    `&& touch ${c} &&`,
    `\ntouch ${c}\n`,
    `\${IFS}touch\${IFS}${c}`,
    `{{ __import__('os').system('touch ${c}') }}`,
    `<%= system("touch ${c}") %>`,
    `#{system("touch ${c}")}`
  ];
}

/** Pieces of the other kinds, mixed into the payloads and with each other. */
const QUOTES = [
  "'",
  '"',
  '`',
  "'''",
  '"""',
  '\u2018',
  '\u2019',
  '\u201c',
  '\u201d',
  '\u00ab',
  '\u00bb',
  '\u201e',
  '\uff02',
  '\uff07',
  '\u00b4',
  '\u2032'
];
const BACKSLASHES = [
  '\\',
  '\\\\',
  "\\'",
  '\\"',
  '\\n',
  '\\r',
  '\\0',
  '\\x00',
  '\\u0000',
  '\\U0001F600',
  '\\N{BULLET}',
  '\\\n',
  '\\\r\n',
  '\\$',
  '\\`'
];
const NEWLINES = [
  '\n',
  '\r',
  '\r\n',
  '\n\r',
  '\u2028',
  '\u2029',
  '\u0085',
  '\v',
  '\f'
];
/** Every control character but NUL: C0, DEL and C1. */
const CONTROLS = Array.from({ length: 159 }, (_, i) => i + 1)
  .filter(code => code < 32 || code >= 127)
  .map(code => String.fromCharCode(code));
const UNICODE = [
  '\u{1F600}',
  '\u{1F4A9}',
  '\u{1F469}\u200d\u{1F469}\u200d\u{1F467}\u200d\u{1F466}',
  '\u{1F3F3}\ufe0f\u200d\u{1F308}',
  '\u{1F1E9}\u{1F1EA}',
  '\u202e',
  '\u202d',
  '\u200f',
  '\u200e',
  '\u2066',
  '\u2069',
  '\u05e9\u05dc\u05d5\u05dd',
  '\u0645\u0631\u062d\u0628\u0627',
  'e\u0301',
  '\ufeff',
  '\u200b',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{10FFFF}',
  '\u{E0001}\u{E0041}',
  '\u4e2d\u6587',
  '\u03a9',
  '\u00df',
  '\u0130',
  '\u00a0',
  '\u{1D54F}',
  '\u00e9'
];
/**
 * Format strings, and what the stdin exchange is made of (`<nonce>:F<NAME>=<hex>,…`, and the
 * `<nonce>:<NAME>:<value>` of an earlier exchange).
 */
const FORMATS = [
  '%s',
  '%d',
  '%n',
  '%%',
  '%1',
  '{0}',
  '{}',
  '{name}',
  '{0.__class__}',
  '%(name)s',
  '${HOME}',
  '$HOME',
  '%PATH%',
  '{{7*7}}',
  ':',
  '::',
  `${'0'.repeat(32)}:`,
  ':PT_HOSTILE_00000:',
  ',PT_HOSTILE_00000=41,',
  ':F',
  ':D',
  '=',
  ',',
  '\x04',
  'NA',
  'NULL',
  'None',
  'nothing',
  'TRUE',
  '"}',
  ']]>',
  '</script>'
];
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff', '\udc80', '\ude00\ud83d'];

/**
 * `count` hostile strings from a seed (the same seed and canary, the same strings). The first
 * are the pieces themselves; then, at fixed places, the empty string, values around the size
 * limit and one of a megabyte; the rest mixes pieces of every kind, a few with NUL or a lone
 * surrogate.
 */
function hostileValues(seed: number, count: number, canary: string): string[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(random() * items.length)];
  const code = payloads(canary);
  const kinds = [
    code,
    code,
    code,
    QUOTES,
    BACKSLASHES,
    NEWLINES,
    CONTROLS,
    UNICODE,
    FORMATS
  ];
  const values: string[] = [
    ...code,
    ...QUOTES,
    ...BACKSLASHES,
    ...NEWLINES,
    ...CONTROLS,
    ...UNICODE,
    ...FORMATS,
    ''
  ];
  // Sized for names of `nameOf`'s length: on either side of the limit, and far beyond.
  const room = MAX_ASSIGNMENT_BYTES - nameOf(0).length - 1;
  for (const size of [
    4096,
    room - 1,
    room,
    room + 1,
    65536,
    200000,
    MEGABYTE
  ]) {
    values.push(sized(size, () => pick(pick(kinds)) + pick(code)));
  }
  while (values.length < count) {
    const parts: string[] = [];
    const n = 1 + Math.floor(random() * 12);
    for (let k = 0; k < n; k++) {
      parts.push(pick(pick(kinds)));
    }
    // Each kind often enough for every value to meet them all.
    if (random() < 0.7) {
      parts.push(
        pick(QUOTES),
        pick(BACKSLASHES),
        pick(NEWLINES),
        pick(CONTROLS)
      );
    }
    if (random() < 0.4) {
      parts.push(pick(code));
    }
    shuffle(parts, random);
    let value = parts.join('');
    const odd = random();
    if (odd < 0.01) {
      value = insertAt(value, '\0', random);
    } else if (odd < 0.02) {
      value = insertAt(value, pick(LONE), random);
    }
    values.push(value);
  }
  return values.slice(0, count);
}

/**
 * A value of exactly `bytes` UTF-8 bytes made of `piece()`s, cut on a code point and padded
 * with ASCII.
 */
function sized(bytes: number, piece: () => string): string {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const part = piece();
    parts.push(part);
    length += utf8Length(part);
  }
  const buffer = Buffer.from(parts.join(''), 'utf8');
  let end = bytes;
  // Back to the start of a code point.
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) {
    end--;
  }
  return buffer.subarray(0, end).toString('utf8') + 'x'.repeat(bytes - end);
}

function insertAt(value: string, piece: string, random: () => number): string {
  // Between code points, so that no surrogate pair is split.
  const points = Array.from(value);
  points.splice(Math.floor(random() * (points.length + 1)), 0, piece);
  return points.join('');
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** A small seeded PRNG (mulberry32): deterministic, no dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The cells the test runs in a kernel of one language. */
interface ILanguageCells {
  /** Prints `digest()` of each variable: see `pythonDigests`. */
  digests(pattern: string, count: number): string;
  /** Prints the user's names. */
  globals: string;
  /** Prints `42`. */
  sum: string;
  /** Prints the variable set next to the refused values, or `unset`. */
  mixed: string;
  /** Starts a program, which inherits the environment (too big a one fails it), and prints what it printed. */
  program: string;
}

const PYTHON_CELLS: ILanguageCells = {
  digests: pythonDigests,
  // Without IPython's history (`_i1`…), which every cell changes.
  globals: "print(sorted(n for n in globals() if not n.startswith('_')))",
  sum: 'print(6 * 7)',
  mixed: "print(__import__('os').environ.get('PT_HOSTILE_MIXED', 'unset'))",
  program:
    "print(__import__('subprocess').run(['echo', 'started'], capture_output=True, text=True).stdout)"
};

const R_CELLS: ILanguageCells = {
  digests: rDigests,
  globals: 'cat(ls(globalenv(), all.names = TRUE), "\\n")',
  sum: 'cat(6 * 7)',
  mixed: 'cat(Sys.getenv("PT_HOSTILE_MIXED", unset = "unset"))',
  program: 'cat(system2("echo", "started", stdout = TRUE))'
};

/**
 * IRkernel in a locale that is not UTF-8 (as in a container without `LANG`), where R would
 * re-encode text it puts into the environment.
 */
const IR_C_SPEC = {
  ...IR_SPEC,
  display_name: 'R (C locale)',
  env: { LANG: 'C', LC_ALL: 'C' }
};

/** The kernels the values go to. */
const KERNELS: {
  spec: string;
  label: string;
  skip: boolean;
  language: ILanguageCells;
}[] = [
  { spec: 'python3', label: 'ipykernel', skip: false, language: PYTHON_CELLS },
  { spec: 'ir', label: 'IRkernel', skip: !!rMissing, language: R_CELLS }
];

/**
 * The values an R kernel in the C locale gets (its stdin exchange is the slowest: all 10,000
 * would double the run time): the pieces, the sizes and the first mixes.
 */
const C_LOCALE_COUNT = 1500;

const VALUES = hostileValues(SEED, COUNT, CANARY);
const NAMES = VALUES.map((_, i) => nameOf(i));
const REFUSALS = VALUES.map((value, i) => expectedRefusal(NAMES[i], value));

describe('KernelInjector with 10,000 hostile values', () => {
  const server = new TestServer();
  let injector: KernelInjector;
  /** The running kernels by spec name, and their user namespaces before the injection. */
  const kernels = new Map<string, Kernel.IKernelConnection>();
  const globals = new Map<string, string>();
  /** The sources the accepted values were set under. */
  const sources: string[] = [];

  beforeAll(async () => {
    await server.start(rMissing ? {} : { ir: IR_SPEC, 'ir-c': IR_C_SPEC });
    injector = server.injector();
    for (const { spec, skip, language } of KERNELS) {
      if (!skip) {
        const kernel = await server.kernelManager.startNew({ name: spec });
        await kernel.info;
        kernels.set(spec, kernel);
        globals.set(spec, await run(kernel, language.globals));
      }
    }
  }, 120000);

  afterAll(async () => {
    await server.shutdown();
    fs.rmSync(CANARY_DIR, { recursive: true, force: true });
  }, 60000);

  it('generates the same 10,000 values from the same seed, of every hostile kind', () => {
    expect(VALUES).toHaveLength(COUNT);
    expect(hostileValues(SEED, COUNT, CANARY)).toEqual(VALUES);
    expect(hostileValues(SEED + 1, COUNT, CANARY)).not.toEqual(VALUES);

    const some = (test: (value: string) => boolean) =>
      VALUES.filter(test).length;
    for (const payload of payloads(CANARY)) {
      expect(VALUES).toContain(payload);
    }
    expect(some(v => v === '')).toBe(1);
    expect(
      some(v => /'/.test(v) && /"/.test(v) && /`/.test(v))
    ).toBeGreaterThan(1000);
    expect(some(v => v.includes('\\'))).toBeGreaterThan(1000);
    expect(some(v => /[\r\n]/.test(v))).toBeGreaterThan(1000);
    expect(some(v => /[\x01-\x08\x0e-\x1f\x7f-\x9f]/.test(v))).toBeGreaterThan(
      1000
    );
    expect(some(v => v.includes('\0'))).toBeGreaterThan(50);
    expect(some(v => !isText(v))).toBeGreaterThan(50);
    expect(some(v => /[\u{1F300}-\u{1FAFF}]/u.test(v))).toBeGreaterThan(500);
    expect(some(v => /[\u202e\u200f\u0590-\u06ff]/.test(v))).toBeGreaterThan(
      500
    );
    expect(some(v => v.includes(CANARY))).toBeGreaterThan(2000);
    expect(some(v => utf8Length(v) >= MEGABYTE)).toBe(1);

    // Most are accepted, each kind of refusal is there, and so are values just within the limit.
    expect(REFUSALS.filter(r => r === null).length).toBeGreaterThan(9000);
    for (const reason of [NUL, SURROGATE, TOO_LONG]) {
      expect(REFUSALS.filter(r => r === reason).length).toBeGreaterThan(0);
    }
    expect(
      VALUES.filter(
        (v, i) =>
          REFUSALS[i] === null &&
          utf8Length(`${NAMES[i]}=${v}`) === MAX_ASSIGNMENT_BYTES
      ).length
    ).toBeGreaterThan(0);
  });

  it('refuses, before touching any kernel, each value no environment can hold, saying why', async () => {
    const refused = VALUES.flatMap((value, i) =>
      REFUSALS[i] === null ? [] : [i]
    );
    const wrong: string[] = [];
    for (const i of refused) {
      const source = `refused-${i}`;
      const message = await injector
        .set(source, { [NAMES[i]]: VALUES[i] })
        .then(() => 'accepted')
        .catch((e: Error) => e.message);
      const clear =
        new RegExp(`^The value of ${NAMES[i]} .*not injected$`).test(message) &&
        REFUSALS[i]!.test(message) &&
        !message.includes(CANARY_TAG);
      if (!clear || injector.status(source).length > 0) {
        wrong.push(`${NAMES[i]} (${REFUSALS[i]}): ${message}`);
      }
    }
    expect(wrong).toEqual([]);
    // One bad value spoils its whole call: nothing of it is injected (read back below).
    const mixed: Record<string, string> = {};
    for (const i of refused.slice(0, 10)) {
      mixed[NAMES[i]] = VALUES[i];
    }
    mixed.PT_HOSTILE_MIXED = 'harmless';
    await expect(injector.set('refused-mixed', mixed)).rejects.toThrow(
      /^The value of PT_HOSTILE_\d{5} /
    );
    expect(injector.status('refused-mixed')).toEqual([]);
  });

  it('injects every other value into every kernel', async () => {
    const accepted = VALUES.flatMap((value, i) =>
      REFUSALS[i] === null ? [i] : []
    );
    const calls: Promise<void>[] = [];
    for (let start = 0; start < accepted.length; start += BATCH) {
      const variables: Record<string, string> = {};
      for (const i of accepted.slice(start, start + BATCH)) {
        variables[NAMES[i]] = VALUES[i];
      }
      const source = `batch-${start / BATCH}`;
      sources.push(source);
      calls.push(injector.set(source, variables));
    }
    await Promise.all(calls);
    const wrong = sources.flatMap(source =>
      injector
        .status(source)
        .filter(status => status.state !== 'injected')
        .map(status => `${source} in ${status.kernelName}: ${status.reason}`)
    );
    expect(wrong).toEqual([]);
    for (const source of sources) {
      expect(injector.status(source)).toHaveLength(kernels.size);
    }
  }, 300000);

  for (const { spec, label, skip, language } of KERNELS) {
    (skip ? it.skip : it)(
      `${label} holds each accepted value byte for byte, and no refused one`,
      async () => {
        const kernel = kernels.get(spec)!;
        const got = await run(kernel, language.digests(PATTERN, COUNT));
        expect(mismatches(got.split('\n'), () => true)).toEqual([]);
        expect(await run(kernel, language.mixed)).toBe('unset');
      },
      60000
    );
  }

  it('ran none of them: no canary, the namespaces unchanged, the kernels alive and able to start programs', async () => {
    expect(fs.readdirSync(CANARY_DIR)).toEqual([]);
    for (const { spec, language } of KERNELS) {
      const kernel = kernels.get(spec);
      if (kernel) {
        expect(await run(kernel, language.globals)).toBe(globals.get(spec));
        expect(await run(kernel, language.sum)).toBe('42');
        expect(await run(kernel, language.program)).toBe('started');
      }
    }
    expect(fs.readdirSync(CANARY_DIR)).toEqual([]);
  }, 60000);

  it('carried the values in input replies only', () => {
    // The values travel hex-encoded: a leak could be either.
    const carriers = server.messages.filter(({ msg }) =>
      [CANARY_TAG, hex(CANARY_TAG)].some(text =>
        JSON.stringify(msg).includes(text)
      )
    );
    const types = new Set(carriers.map(({ msg }) => msg.header.msg_type));
    expect(Array.from(types)).toEqual(['input_reply']);
  });

  it('removes every variable on clear', async () => {
    await Promise.all(sources.map(source => injector.clear(source)));
    for (const source of sources) {
      expect(injector.status(source)).toEqual([]);
    }
    const unset = Array(COUNT).fill('unset');
    for (const { spec, language } of KERNELS) {
      const kernel = kernels.get(spec);
      if (kernel) {
        const got = await run(kernel, language.digests(PATTERN, COUNT));
        expect(got.split('\n')).toEqual(unset);
      }
    }
  }, 60000);

  (rMissing ? it.skip : it)(
    'gives an R kernel in the C locale the very bytes too',
    async () => {
      const kernel = await server.kernelManager.startNew({ name: 'ir-c' });
      await kernel.info;
      const subset = (i: number) => i < C_LOCALE_COUNT;
      const variables: Record<string, string> = {};
      VALUES.forEach((value, i) => {
        if (subset(i) && REFUSALS[i] === null) {
          variables[NAMES[i]] = value;
        }
      });
      await injector.set('c-locale', variables);
      expect(
        injector.status('c-locale').find(s => s.kernelId === kernel.id)?.state
      ).toBe('injected');
      const got = await run(kernel, R_CELLS.digests(PATTERN, COUNT));
      expect(mismatches(got.split('\n'), subset)).toEqual([]);
      await injector.clear('c-locale');
      expect(fs.readdirSync(CANARY_DIR)).toEqual([]);
      expect(await run(kernel, R_CELLS.program)).toBe('started');
    },
    120000
  );
});
