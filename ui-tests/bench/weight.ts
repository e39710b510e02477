import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { CACHE_DIR as CACHE } from './lab';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Gzip size (level 9, as a server's static compression would) of some bytes.
 */
function gz(data: Buffer | string): number {
  return zlib.gzipSync(data, { level: 9 }).length;
}

/**
 * Sizes of a folder's files: raw and gzipped, each file compressed on its own (each is
 * served on its own).
 */
export function folderWeight(dir: string): {
  files: Record<string, { raw: number; gzip: number }>;
  raw: number;
  gzip: number;
} {
  const files: Record<string, { raw: number; gzip: number }> = {};
  let raw = 0;
  let gzip = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const data = fs.readFileSync(path.join(dir, name));
    const size = { raw: data.length, gzip: gz(data) };
    files[name] = size;
    raw += size.raw;
    gzip += size.gzip;
  }
  return { files, raw, gzip };
}

/**
 * The extension's production labextension, as the wheel installs it into JupyterLab.
 */
export function extensionWeight(): ReturnType<typeof folderWeight> & {
  dir: string;
} {
  const installed = path.join(
    ROOT,
    '.venv',
    'share',
    'jupyter',
    'labextensions',
    'jupyterlab-portal-token',
    'static'
  );
  const built = path.join(
    ROOT,
    'jupyterlab_portal_token',
    'labextension',
    'static'
  );
  const dir = fs.existsSync(installed) ? installed : built;
  return { dir, ...folderWeight(dir) };
}

/**
 * A package's own code, minified as a production build minifies it and gzipped: its `lib/*.js`
 * (published ES modules) and `style/*.css`. Core extensions ship inside JupyterLab's one big
 * core bundle, so this is the closest like-for-like figure; the same measure is taken of this
 * extension's own `lib/`.
 */
export async function packageWeight(
  dir: string
): Promise<{ files: number; minified: number; gzip: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { experiments } = require('@rspack/core');
  const js: string[] = [];
  const walk = (folder: string, ext: string, out: string[]) => {
    if (!fs.existsSync(folder)) {
      return;
    }
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(full, ext, out);
      } else if (entry.name.endsWith(ext) && !entry.name.endsWith('.d.ts')) {
        out.push(full);
      }
    }
  };
  walk(path.join(dir, 'lib'), '.js', js);
  js.sort();
  const css: string[] = [];
  walk(path.join(dir, 'style'), '.css', css);
  css.sort();
  let minified = '';
  for (const file of js) {
    const source = fs.readFileSync(file, 'utf-8');
    const result = await experiments.swc.minify(source, {
      compress: true,
      mangle: true,
      module: true
    });
    minified += result.code + '\n';
  }
  for (const file of css) {
    // Whitespace and comments only: enough for a size figure.
    minified +=
      fs
        .readFileSync(file, 'utf-8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\s+/g, ' ') + '\n';
  }
  return {
    files: js.length + css.length,
    minified: Buffer.byteLength(minified),
    gzip: gz(minified)
  };
}

/**
 * A published package, unpacked once into node_modules/.cache/portal-token-bench (needs the npm registry the
 * first time); undefined when it cannot be had.
 */
export function fetchPackage(spec: string): string | undefined {
  const folder = path.join(CACHE, spec.replace(/[@/]/g, '_'));
  const unpacked = path.join(folder, 'package');
  if (fs.existsSync(path.join(unpacked, 'package.json'))) {
    return unpacked;
  }
  try {
    fs.mkdirSync(folder, { recursive: true });
    const tarball = execFileSync(
      'npm',
      ['pack', spec, '--silent', '--pack-destination', folder],
      { encoding: 'utf-8', cwd: folder, stdio: ['ignore', 'pipe', 'ignore'] }
    )
      .trim()
      .split('\n')
      .pop() as string;
    execFileSync('tar', ['-xzf', path.join(folder, tarball), '-C', folder]);
    return unpacked;
  } catch {
    return undefined;
  }
}
