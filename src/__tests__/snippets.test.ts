/**
 * The "use it" snippets: their text for each portal kind and language, with the default and
 * with renamed variables; and each one run as it is (Python of the repository's venv, R's
 * Rscript) against the demo portals, started in-process, with a real token in the environment.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IRunningPortal } from '../../demo/src/server';
import { startDemo } from '../portals/__tests__/portal-helpers';
import { PortalRegistry } from '../portals/registry';
import {
  portalSnippet,
  snippetLanguage,
  type ISnippetPortal
} from '../snippets';
import type { BuiltInPortalKind } from '../tokens';

const URLS = {
  xdmod: 'https://xdmod.example.org/',
  sodar: 'https://sodar.example.org/',
  axivion: 'https://axivion.example.org/axivion/'
};

/** A portal of a kind with its default variable names (the registry's), or some renamed. */
function portal(
  kind: BuiltInPortalKind,
  envVars: Record<string, string> = {},
  url: string = URLS[kind]
): ISnippetPortal {
  const defaults = new PortalRegistry().defaultEnvVars(kind);
  return { kind, url, envVars: { ...defaults, ...envVars } };
}

/** The snippet, which must exist. */
function snippet(p: ISnippetPortal, language: string): string {
  const text = portalSnippet(p, language);
  expect(text).not.toBeNull();
  return text!;
}

describe('snippetLanguage', () => {
  it("maps the kernels' language names, in any case, and nothing else", () => {
    expect(snippetLanguage('python')).toBe('python');
    expect(snippetLanguage('Python3')).toBe('python');
    expect(snippetLanguage('R')).toBe('r');
    expect(snippetLanguage(' r ')).toBe('r');
    expect(snippetLanguage('julia')).toBeNull();
    expect(snippetLanguage('')).toBeNull();
    expect(snippetLanguage(undefined)).toBeNull();
    expect(snippetLanguage('constructor')).toBeNull();
  });
});

describe('portalSnippet', () => {
  it('XDMoD in Python: xdmod-data as its documentation shows, else the standard library', () => {
    const text = snippet(portal('xdmod'), 'python');
    expect(text).toContain('from xdmod_data.warehouse import DataWarehouse');
    expect(text).toContain('    dw = DataWarehouse()\n    with dw:\n');
    expect(text).toContain('dw.get_resources()');
    expect(text).toContain('except ImportError:');
    expect(text).toContain(
      'os.environ["XDMOD_HOST"].rstrip("/") + "/rest/v1/warehouse/resources"'
    );
    expect(text).toContain(
      '"Authorization": "Bearer " + os.environ["XDMOD_API_TOKEN"]'
    );
    // The address is read from the environment, not written in.
    expect(text).not.toContain('xdmod.example.org');
  });

  it('XDMoD in Python with renamed variables: the names given, the token lent to xdmod-data', () => {
    const text = snippet(
      portal('xdmod', { token: 'HPC_TOKEN', host: 'HPC_HOST' }),
      'python'
    );
    expect(text).toContain('dw = DataWarehouse(os.environ["HPC_HOST"])');
    expect(text).toContain(
      'with mock.patch.dict(os.environ, XDMOD_API_TOKEN=os.environ["HPC_TOKEN"]):'
    );
    expect(text).toContain('"Bearer " + os.environ["HPC_TOKEN"]');
    expect(text).not.toContain('os.environ["XDMOD_API_TOKEN"]');
    expect(text).not.toContain('XDMOD_HOST');
  });

  it('a renamed host alone is passed to xdmod-data, the token found as usual', () => {
    const text = snippet(portal('xdmod', { host: 'HPC_HOST' }), 'python');
    expect(text).toContain('dw = DataWarehouse(os.environ["HPC_HOST"])');
    expect(text).not.toContain('mock');
  });

  it('an address whose variable is switched off is written in', () => {
    const text = snippet(portal('xdmod', { host: '' }), 'python');
    expect(text).toContain('dw = DataWarehouse("https://xdmod.example.org")');
    expect(text).toContain(
      '"https://xdmod.example.org/rest/v1/warehouse/resources"'
    );
    const r = snippet(portal('sodar', { url: '' }), 'R');
    expect(r).toContain('"https://sodar.example.org/project/api/list"');
  });

  it('XDMoD in R: base R with jsonlite, the variables by name', () => {
    const text = snippet(portal('xdmod', { token: 'HPC_TOKEN' }), 'R');
    expect(text).toContain(
      'paste0(sub("/+$", "", Sys.getenv("XDMOD_HOST")), "/rest/v1/warehouse/resources")'
    );
    expect(text).toContain('paste("Bearer", Sys.getenv("HPC_TOKEN"))');
    expect(text).toContain('jsonlite::fromJSON(url(');
  });

  it("SODAR: the token in SODAR's Authorization scheme, a versioned Accept header", () => {
    const text = snippet(portal('sodar'), 'python');
    expect(text).toContain(
      '"Authorization": "token " + os.environ["SODAR_API_TOKEN"]'
    );
    expect(text).toContain(
      '"Accept": "application/vnd.bihealth.sodar-core.projectroles+json; version=1.0"'
    );
    expect(text).toContain(
      'os.environ["SODAR_SERVER_URL"].rstrip("/") + "/project/api/list"'
    );
    const r = snippet(portal('sodar'), 'r');
    expect(r).toContain('paste("token", Sys.getenv("SODAR_API_TOKEN"))');
  });

  it('Axivion: HTTP Basic with the username and the token as password, its user agent', () => {
    const text = snippet(portal('axivion'), 'python');
    expect(text).toContain(
      '(os.environ["AXIVION_USERNAME"] + ":" + os.environ["AXIVION_PASSWORD"]).encode()'
    );
    expect(text).toContain('"X-Axivion-User-Agent": "ApiClient"');
    expect(text).toContain('os.environ["AXIVION_DASHBOARD_URL"],');
    // The info document's CSRF token stays out of the notebook: only its projects are kept.
    expect(text).toContain('json.load(response).get("projects", [])');
    const r = snippet(portal('axivion'), 'r');
    expect(r).toContain(
      'jsonlite::base64_enc(paste0(Sys.getenv("AXIVION_USERNAME"), ":", Sys.getenv("AXIVION_PASSWORD")))'
    );
  });

  it('Axivion without a username variable: the token alone, as AxToken', () => {
    const text = snippet(portal('axivion', { username: '' }), 'python');
    expect(text).toContain(
      '"Authorization": "AxToken " + os.environ["AXIVION_PASSWORD"]'
    );
    expect(text).not.toContain('base64');
    expect(snippet(portal('axivion', { username: '' }), 'r')).toContain(
      'paste("AxToken", Sys.getenv("AXIVION_PASSWORD"))'
    );
  });

  it('has none for an unknown kind or language, or names that cannot go into code', () => {
    expect(portalSnippet(portal('xdmod'), 'julia')).toBeNull();
    expect(portalSnippet(portal('xdmod'), '')).toBeNull();
    expect(
      portalSnippet({ ...portal('xdmod'), kind: 'gitlab' }, 'python')
    ).toBeNull();
    expect(
      portalSnippet({ ...portal('xdmod'), kind: 'toString' }, 'python')
    ).toBeNull();
    expect(
      portalSnippet(portal('xdmod', { token: 'A"]; print(1) #' }), 'python')
    ).toBeNull();
    expect(portalSnippet(portal('xdmod', { token: '' }), 'python')).toBeNull();
  });
});

/** Run a program with the code on stdin; resolves with its exit code and output. */
function runCode(
  command: string,
  args: string[],
  code: string,
  env: Record<string, string>
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: 30000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr
        })
    );
    child.stdin!.end(code);
  });
}

/** Python of the repository's venv (as the kernels use), else the system's. */
const PYTHON = fs.existsSync(path.join(__dirname, '../../.venv/bin/python'))
  ? path.join(__dirname, '../../.venv/bin/python')
  : 'python3';

const python = (code: string, env: Record<string, string>) =>
  runCode(PYTHON, ['-'], code, env);
const rscript = (code: string, env: Record<string, string>) =>
  runCode('Rscript', ['-'], code, env);

/** Whether Rscript runs here with jsonlite (IRkernel's own dependency). */
function rMissing(): string | null {
  try {
    execFileSync(
      'Rscript',
      ['-e', 'stopifnot(requireNamespace("jsonlite", quietly = TRUE))'],
      { stdio: 'ignore' }
    );
    return null;
  } catch {
    return 'Rscript with jsonlite is not installed';
  }
}

describe('the snippets against the demo portals', () => {
  let demo: IRunningPortal;
  const basic = `Basic ${Buffer.from('demo:demo').toString('base64')}`;
  /** The variables each kind's client would put into a kernel, by default name. */
  const env: Record<string, Record<string, string>> = {};
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    demo = await startDemo();
    urls.xdmod = demo.url;
    urls.sodar = demo.sodarUrl;
    urls.axivion = demo.axivionUrl;

    // XDMoD: a portal session, then a token.
    const login = await fetch(new URL('rest/auth/login', demo.url), {
      method: 'POST',
      headers: { Authorization: basic }
    });
    const session = login.headers
      .getSetCookie()
      .map(line => line.split(';')[0])
      .join('; ');
    const xdmod = await fetch(
      new URL('rest/users/current/api/token', demo.url),
      { method: 'POST', headers: { Cookie: session } }
    );
    env.xdmod = {
      XDMOD_API_TOKEN: ((await xdmod.json()) as { data: { token: string } })
        .data.token,
      XDMOD_HOST: demo.url.replace(/\/+$/, '')
    };

    // SODAR: its one token endpoint.
    const sodar = await fetch(new URL('tokens/api/login', demo.sodarUrl), {
      method: 'POST',
      headers: {
        Authorization: basic,
        Accept: 'application/vnd.bihealth.sodar-core.tokens+json; version=1.0',
        'Content-Type': 'application/json'
      },
      body: '{}'
    });
    expect(sodar.status).toBe(201);
    env.sodar = {
      SODAR_API_TOKEN: ((await sodar.json()) as { token: string }).token,
      SODAR_SERVER_URL: demo.sodarUrl
    };

    // Axivion: the info document's CSRF token, then a token of type General.
    const headers = {
      Authorization: basic,
      Accept: 'application/json',
      'X-Axivion-User-Agent': 'ApiClient'
    };
    const info = (await (
      await fetch(new URL('api', demo.axivionUrl), { headers })
    ).json()) as { csrfToken: string; userApiTokenUrl: string };
    const created = await fetch(
      new URL(info.userApiTokenUrl, demo.axivionUrl),
      {
        method: 'POST',
        headers: {
          ...headers,
          'AX-CSRF-Token': info.csrfToken,
          'Content-Type': 'application/json'
        },
        body: JSON.stringify({
          password: 'demo',
          type: 'General',
          description: 'snippets test',
          maxAgeMillis: 0
        })
      }
    );
    env.axivion = {
      AXIVION_PASSWORD: ((await created.json()) as { token: string }).token,
      AXIVION_USERNAME: 'demo',
      AXIVION_DASHBOARD_URL: demo.axivionUrl
    };
  });

  afterAll(async () => {
    await demo?.close();
  });

  const at = (kind: BuiltInPortalKind) => portal(kind, {}, urls[kind]);

  /** Prints what each Python snippet leaves as its result, after the snippet itself. */
  const PY_RESULT = {
    xdmod: 'print("names:", sorted(r["name"] for r in resources))',
    sodar: 'print("names:", sorted(p["title"] for p in projects))',
    axivion: 'print("names:", sorted(p["name"] for p in projects))'
  };
  const NAMES = {
    xdmod: "names: ['demo-cloud', 'demo-cluster']",
    sodar: "names: ['Demo Category', 'Demo Exomes']",
    axivion: "names: ['demo-project', 'hpc-solver']"
  };

  for (const kind of ['xdmod', 'sodar', 'axivion'] as const) {
    it(`${kind} in Python, as inserted: the portal accepts the token`, async () => {
      const code = `${snippet(at(kind), 'python')}\n${PY_RESULT[kind]}\n`;
      const result = await python(code, env[kind]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`HTTP 200\n${NAMES[kind]}\n`);
    });

    it(`${kind} in Python with a wrong token: an HTTP error that shows no value`, async () => {
      const secret = Object.values(env[kind])[0];
      const wrong = `${secret.slice(0, -4)}beef`;
      const variables = { ...env[kind] };
      variables[Object.keys(env[kind])[0]] = wrong;
      const result = await python(snippet(at(kind), 'python'), variables);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('HTTP Error 401');
      expect(result.stdout + result.stderr).not.toContain(wrong);
    });
  }

  it('xdmod in Python with renamed variables, without xdmod-data', async () => {
    const renamed = portal(
      'xdmod',
      { token: 'HPC_TOKEN', host: 'HPC_HOST' },
      urls.xdmod
    );
    const result = await python(
      `${snippet(renamed, 'python')}\n${PY_RESULT.xdmod}\n`,
      {
        HPC_TOKEN: env.xdmod.XDMOD_API_TOKEN,
        HPC_HOST: env.xdmod.XDMOD_HOST,
        XDMOD_API_TOKEN: '',
        XDMOD_HOST: ''
      }
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`HTTP 200\n${NAMES.xdmod}\n`);
  });

  describe('with xdmod-data', () => {
    // xdmod-data is not on this machine's package mirror: a stand-in with the contract its
    // source and docstrings state (the token from XDMOD_API_TOKEN and the host from XDMOD_HOST,
    // unless given, read when a DataWarehouse is constructed; requests only inside `with`).
    let fake: string;
    beforeAll(() => {
      fake = fs.mkdtempSync(path.join(os.tmpdir(), 'xdmod-data-'));
      fs.mkdirSync(path.join(fake, 'xdmod_data'));
      fs.writeFileSync(path.join(fake, 'xdmod_data', '__init__.py'), '');
      fs.writeFileSync(
        path.join(fake, 'xdmod_data', 'warehouse.py'),
        [
          'import json, os, urllib.request',
          'class DataWarehouse:',
          '    def __init__(self, xdmod_host=None):',
          '        self._host = (xdmod_host or os.environ["XDMOD_HOST"]).rstrip("/")',
          '        self._token = os.environ["XDMOD_API_TOKEN"]',
          '        self._open = False',
          '    def __enter__(self):',
          '        self._open = True',
          '        return self',
          '    def __exit__(self, *args):',
          '        self._open = False',
          '    def get_resources(self):',
          '        assert self._open, "outside with"',
          '        request = urllib.request.Request(self._host + "/rest/v1/warehouse/resources", headers={"Authorization": "Bearer " + self._token})',
          '        with urllib.request.urlopen(request) as response:',
          '            print("xdmod-data", response.status)',
          '            return json.load(response)["results"]',
          ''
        ].join('\n')
      );
    });
    afterAll(() => {
      fs.rmSync(fake, { recursive: true, force: true });
    });

    it('the default names: DataWarehouse() finds them', async () => {
      const result = await python(
        `${snippet(at('xdmod'), 'python')}\n${PY_RESULT.xdmod}\n`,
        { ...env.xdmod, PYTHONPATH: fake }
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`xdmod-data 200\n${NAMES.xdmod}\n`);
    });

    it('renamed: the host passed, the token lent for the construction only', async () => {
      const renamed = portal(
        'xdmod',
        { token: 'HPC_TOKEN', host: 'HPC_HOST' },
        urls.xdmod
      );
      const result = await python(
        [
          'import os',
          'os.environ.pop("XDMOD_API_TOKEN", None)',
          'os.environ.pop("XDMOD_HOST", None)',
          snippet(renamed, 'python'),
          PY_RESULT.xdmod,
          'print("left behind:", "XDMOD_API_TOKEN" in os.environ)',
          ''
        ].join('\n'),
        {
          HPC_TOKEN: env.xdmod.XDMOD_API_TOKEN,
          HPC_HOST: env.xdmod.XDMOD_HOST,
          PYTHONPATH: fake
        }
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        `xdmod-data 200\n${NAMES.xdmod}\nleft behind: False\n`
      );
    });
  });

  const missingR = rMissing();
  if (missingR) {
    console.warn(`Skipping the R snippet runs: ${missingR}`);
  }
  const itR = missingR ? it.skip : it;
  const R_SEEN = {
    xdmod: ['demo-cluster', 'demo-cloud'],
    sodar: ['Demo Category', 'Demo Exomes'],
    axivion: ['demo-project', 'hpc-solver']
  };

  for (const kind of ['xdmod', 'sodar', 'axivion'] as const) {
    itR(`${kind} in R, as inserted: the portal's answer printed`, async () => {
      const result = await rscript(snippet(at(kind), 'R'), env[kind]);
      expect(result.stderr).toBe('');
      for (const name of R_SEEN[kind]) {
        expect(result.stdout).toContain(name);
      }
    });
  }

  itR(
    'xdmod in R with a wrong token: an error that shows no value',
    async () => {
      const wrong = `${env.xdmod.XDMOD_API_TOKEN.slice(0, -4)}beef`;
      const result = await rscript(snippet(at('xdmod'), 'R'), {
        ...env.xdmod,
        XDMOD_API_TOKEN: wrong
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('401');
      expect(result.stdout + result.stderr).not.toContain(wrong);
    }
  );
});
