/**
 * "Use it": the code a researcher runs in a notebook once a portal's token is live.
 *
 * A snippet reads the portal's variables from the kernel's environment, under the names the
 * settings give them (`envVars`), and never holds a value: the same text works for every user
 * and every token, and can be shared. Each snippet makes one call that proves the token works
 * (the portal's data route, or the dashboard's info document) and leaves its answer as the
 * cell's result.
 *
 * Python snippets use the standard library only, except XDMoD's, which uses the portal's own
 * package `xdmod-data` when the kernel has it and otherwise makes the same call with the
 * standard library. R snippets use base R and jsonlite (which IRkernel itself depends on).
 */
import { isValidVariableName } from './injection/languages';
import type { IPortalConfig } from './tokens';

/**
 * The languages that have snippets.
 */
export type SnippetLanguage = 'python' | 'r';

/**
 * What a snippet needs of a portal: its kind, its variable names by role, and its address
 * (written into the code only where the settings switch the address's variable off).
 */
export type ISnippetPortal = Pick<IPortalConfig, 'kind' | 'url' | 'envVars'>;

/**
 * The snippet language of a kernel language (`language_info.name` or a kernel spec's
 * `language`, any case), or `null` when there are no snippets for it.
 */
export function snippetLanguage(
  language: string | null | undefined
): SnippetLanguage | null {
  return Private.LANGUAGES.get((language ?? '').trim().toLowerCase()) ?? null;
}

/**
 * Whether a portal kind has snippets at all.
 */
export function hasSnippets(kind: string): boolean {
  return Private.KINDS.has(kind);
}

/**
 * The snippet that uses a portal's token in a kernel language, or `null` when there is none:
 * an unknown kind or language, or variable names that cannot be put into code (the settings
 * refuse those anyway).
 */
export function portalSnippet(
  portal: ISnippetPortal,
  language: string | null | undefined
): string | null {
  const lang = snippetLanguage(language);
  const kind = Private.KINDS.get(portal.kind);
  if (!lang || !kind) {
    return null;
  }
  const names: Record<string, string> = {};
  for (const [role, name] of Object.entries(portal.envVars)) {
    if (name) {
      if (!isValidVariableName(name)) {
        return null;
      }
      names[role] = name;
    }
  }
  if (!names.token) {
    return null;
  }
  const vars = new Private.Variables(names, portal.url);
  return [`# ${kind.about(vars)}`, ...kind[lang](vars)].join('\n');
}

/**
 * Module internals.
 */
namespace Private {
  /** Kernel languages by their lowercase name (a Map: no `constructor` or `toString`). */
  export const LANGUAGES = new Map<string, SnippetLanguage>([
    ['python', 'python'],
    ['python3', 'python'],
    ['r', 'r']
  ]);

  /** SODAR's projectroles API, in a version every SODAR Core since 1.0 accepts. */
  const SODAR_ACCEPT =
    'application/vnd.bihealth.sodar-core.projectroles+json; version=1.0';

  /**
   * A portal's variables as code: each role's variable read from the environment, or, for a
   * role the settings switched off, the value written out (an address, never a secret).
   */
  export class Variables {
    constructor(names: Record<string, string>, url: string) {
      this.names = names;
      this._url = url;
    }

    /** Variable names by role (only the roles that have one). */
    readonly names: Record<string, string>;

    /** The portal's address without its trailing slash. */
    get bareUrl(): string {
      return this._url.replace(/\/+$/, '');
    }

    /** The portal's address with its trailing slash. */
    get url(): string {
      return `${this.bareUrl}/`;
    }

    /** Python reading a role's variable; the fallback's literal for a role switched off. */
    py(role: string, fallback = ''): string {
      const name = this.names[role];
      return name ? `os.environ[${quote(name)}]` : quote(fallback);
    }

    /** Python for the URL of `path` below the address in a role's variable (or the portal's). */
    pyUrl(role: string, path: string): string {
      const name = this.names[role];
      return name
        ? `os.environ[${quote(name)}].rstrip("/") + ${quote(path)}`
        : quote(this.bareUrl + path);
    }

    /** R reading a role's variable; the fallback's literal for a role switched off. */
    r(role: string, fallback = ''): string {
      const name = this.names[role];
      return name ? `Sys.getenv(${quote(name)})` : quote(fallback);
    }

    /** R for the URL of `path` below the address in a role's variable (or the portal's). */
    rUrl(role: string, path: string): string {
      const name = this.names[role];
      return name
        ? `paste0(sub("/+$", "", Sys.getenv(${quote(name)})), ${quote(path)})`
        : quote(this.bareUrl + path);
    }

    /** The role's variable name for a comment, or what stands in for it. */
    said(role: string, otherwise: string): string {
      return this.names[role] ?? otherwise;
    }

    private _url: string;
  }

  /**
   * A string literal that Python and R read alike. Names are checked by the caller and URLs
   * are parsed ones, so this escapes only what those can hold.
   */
  export function quote(text: string): string {
    return JSON.stringify(text);
  }

  /** The snippets of one portal kind, as lines, after a comment (`#` in both) that says what they call. */
  interface IKindSnippets {
    about(vars: Variables): string;
    python(vars: Variables): string[];
    r(vars: Variables): string[];
  }

  /** The xdmod-data form: what that package's documentation shows, with our names. */
  function xdmodData(vars: Variables): string[] {
    const token = vars.names.token;
    const host = vars.names.host;
    // With the default names the package finds both variables itself.
    const hostArg = host === 'XDMOD_HOST' ? '' : vars.py('host', vars.bareUrl);
    if (token === 'XDMOD_API_TOKEN') {
      return [
        `    # xdmod-data reads ${host === 'XDMOD_HOST' ? 'XDMOD_HOST and ' : ''}XDMOD_API_TOKEN when the DataWarehouse is made.`,
        `    dw = DataWarehouse(${hostArg})`
      ];
    }
    return [
      `    # xdmod-data reads the token from XDMOD_API_TOKEN only, when the DataWarehouse is made: lend it ${token}.`,
      '    from unittest import mock',
      `    with mock.patch.dict(os.environ, XDMOD_API_TOKEN=${vars.py('token')}):`,
      `        dw = DataWarehouse(${hostArg})`
    ];
  }

  /** The snippets by portal kind. */
  export const KINDS = new Map<string, IKindSnippets>(
    Object.entries({
      xdmod: {
        about: vars =>
          `XDMoD's data warehouse, with the API token in ${vars.names.token} (the portal: ${vars.said('host', vars.bareUrl)}).`,
        python: vars => [
          'import os',
          '',
          'try:',
          '    from xdmod_data.warehouse import DataWarehouse',
          '',
          ...xdmodData(vars),
          '    with dw:',
          '        resources = dw.get_resources()',
          'except ImportError:  # no xdmod-data (pip install xdmod-data): the same call with the standard library',
          '    import json, urllib.request',
          '',
          '    with urllib.request.urlopen(urllib.request.Request(',
          `        ${vars.pyUrl('host', '/rest/v1/warehouse/resources')},`,
          `        headers={"Authorization": "Bearer " + ${vars.py('token')}},`,
          '    )) as response:',
          '        print("HTTP", response.status)',
          '        resources = json.load(response)["results"]',
          'resources'
        ],
        r: vars => [
          'resources <- jsonlite::fromJSON(url(',
          `  ${vars.rUrl('host', '/rest/v1/warehouse/resources')},`,
          `  headers = c(Authorization = paste("Bearer", ${vars.r('token')}))`,
          '))$results',
          'resources'
        ]
      },
      sodar: {
        about: vars =>
          `SODAR's API, with the token in ${vars.names.token} (the server: ${vars.said('url', vars.url)}), as sodar-cli reads them.`,
        python: vars => [
          'import json, os, urllib.request',
          '',
          'with urllib.request.urlopen(urllib.request.Request(',
          `    ${vars.pyUrl('url', '/project/api/list')},`,
          '    headers={',
          `        "Authorization": "token " + ${vars.py('token')},`,
          `        "Accept": ${quote(SODAR_ACCEPT)},`,
          '    },',
          ')) as response:',
          '    print("HTTP", response.status)',
          '    projects = json.load(response)',
          'projects'
        ],
        r: vars => [
          'projects <- jsonlite::fromJSON(url(',
          `  ${vars.rUrl('url', '/project/api/list')},`,
          '  headers = c(',
          `    Authorization = paste("token", ${vars.r('token')}),`,
          `    Accept = ${quote(SODAR_ACCEPT)}`,
          '  )',
          '))',
          'projects'
        ]
      },
      axivion: {
        // The dashboard's info document answers any signed-in user; only its project list is
        // kept (it also carries a CSRF token, which has no business in a notebook).
        about: vars =>
          `The Axivion Dashboard's API, ${vars.names.username ? `as the user in ${vars.names.username} ` : ''}with the API token in ${vars.names.token} (the dashboard: ${vars.said('url', vars.url)}).`,
        python: vars => [
          vars.names.username
            ? 'import base64, json, os, urllib.request'
            : 'import json, os, urllib.request',
          '',
          'with urllib.request.urlopen(urllib.request.Request(',
          `    ${vars.py('url', vars.url)},`,
          '    headers={',
          ...(vars.names.username
            ? [
                '        "Authorization": "Basic " + base64.b64encode(',
                `            (${vars.py('username')} + ":" + ${vars.py('token')}).encode()`,
                '        ).decode(),'
              ]
            : [`        "Authorization": "AxToken " + ${vars.py('token')},`]),
          '        "Accept": "application/json",',
          '        "X-Axivion-User-Agent": "ApiClient",',
          '    },',
          ')) as response:',
          '    print("HTTP", response.status)',
          '    projects = json.load(response).get("projects", [])',
          'projects'
        ],
        r: vars => [
          'projects <- jsonlite::fromJSON(url(',
          `  ${vars.r('url', vars.url)},`,
          '  headers = c(',
          vars.names.username
            ? `    Authorization = paste("Basic", jsonlite::base64_enc(paste0(${vars.r('username')}, ":", ${vars.r('token')}))),`
            : `    Authorization = paste("AxToken", ${vars.r('token')}),`,
          '    Accept = "application/json",',
          '    `X-Axivion-User-Agent` = "ApiClient"',
          '  )',
          '))$projects',
          'projects'
        ]
      }
    })
  );
}
