import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';

/**
 * Where `make bench` leaves its numbers: `results.json` (everything measured) and `table.md`
 * (the table it prints, quoted in docs/BENCHMARKS.md).
 */
export const RESULTS_DIR = path.join(__dirname, 'results');
const JSON_FILE = path.join(RESULTS_DIR, 'results.json');
const TABLE_FILE = path.join(RESULTS_DIR, 'table.md');

/**
 * One row of the table.
 */
export interface IRow {
  /** What is measured. */
  what: string;
  /** The headline figure, as printed. */
  measured: string;
  /** The target, as printed. */
  target: string;
  /** Whether the target is met. */
  met: boolean;
  /** Every number behind the headline, for results.json. */
  details: Record<string, unknown>;
}

/** The rows in the order. */
export const ROW_ORDER = [
  'fan-out',
  'startup cost',
  'weight',
  'first-cell race',
  'first-cell race, typed',
  'launch injection',
  'leaks',
  'portal cost',
  'relay'
] as const;

/** A row's key. */
export type RowKey = (typeof ROW_ORDER)[number];

interface IResults {
  machine: Record<string, unknown>;
  rows: Partial<Record<RowKey, IRow>>;
}

/**
 * The median of some numbers.
 */
export function median(values: number[]): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Round for display.
 */
export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Start a fresh results file for this run (`make bench` runs every benchmark once).
 */
export async function startRun(browserVersion: string): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const results: IResults = {
    machine: machine(browserVersion),
    rows: {}
  };
  await write(results);
}

/**
 * Record one row; rewrites results.json and table.md at once, so a run cut short still leaves
 * the rows it measured.
 */
export async function record(key: RowKey, row: IRow): Promise<void> {
  const results = read();
  results.rows[key] = row;
  await write(results);
}

/**
 * The table as markdown.
 */
export function table(results: IResults): string {
  const lines = [
    '| what | measured | target | met? |',
    '| --- | --- | --- | --- |'
  ];
  for (const key of ROW_ORDER) {
    const row = results.rows[key];
    lines.push(
      row
        ? `| ${row.what} | ${row.measured} | ${row.target} | ${row.met ? 'yes' : 'NO'} |`
        : `| ${key} | not measured (the benchmark failed or was skipped) | | NO |`
    );
  }
  const m = results.machine;
  lines.push(
    '',
    `Run ${m.date}: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, ` +
      `Chromium ${m.chromium}, Node ${m.node}, JupyterLab ${m.jupyterlab}.`
  );
  return lines.join('\n') + '\n';
}

function read(): IResults {
  try {
    return JSON.parse(fs.readFileSync(JSON_FILE, 'utf-8')) as IResults;
  } catch {
    return { machine: machine(''), rows: {} };
  }
}

/**
 * Write both files, formatted as the repository's prettier check wants them.
 */
async function write(results: IResults): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(JSON_FILE)) ?? {};
  fs.writeFileSync(
    JSON_FILE,
    await prettier.format(JSON.stringify(results), {
      ...options,
      parser: 'json'
    })
  );
  fs.writeFileSync(
    TABLE_FILE,
    await prettier.format(table(results), { ...options, parser: 'markdown' })
  );
}

function machine(browserVersion: string): Record<string, unknown> {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf-8');
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? osName;
  } catch {
    // Not Linux: keep os.type().
  }
  let jupyterlab = 'unknown';
  try {
    jupyterlab = execFileSync(
      path.join(__dirname, '..', '..', '.venv', 'bin', 'python'),
      ['-c', 'import jupyterlab; print(jupyterlab.__version__)'],
      { encoding: 'utf-8' }
    ).trim();
  } catch {
    // Reported as unknown.
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${osName} (kernel ${os.release()})`,
    chromium: browserVersion,
    node: process.version,
    jupyterlab
  };
}
