import type { APIRequestContext, Locator } from '@playwright/test';
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import {
  armFault,
  AXIVION,
  createAxivionToken,
  generateIn,
  newNotebook,
  openForm,
  openPortalSection,
  openTokenPanel,
  portalUrl,
  SODAR,
  XDMOD
} from '../tests/helpers';

/**
 * The states of the "API tokens" panel a person meets with the demo's three portals, each
 * reached as that person would (or, where only time or the portal can get there, with the
 * demo's test hooks and the page's clock). `make screenshots` renders each of them and
 * a11y.spec.ts scans each of them.
 */
export interface IPanelState {
  /** A file-name-safe name: `docs/images/panel-<name>-<theme>.png`. */
  name: string;
  /** What the README's gallery says of it (README.md, "What it looks like"). */
  title: string;
  /** Brings a freshly loaded JupyterLab (a clean portal, no token) into the state. */
  reach(
    page: IJupyterLabPageFixture,
    request: APIRequestContext,
    baseURL: string | undefined
  ): Promise<void>;
  /** The part of the panel to bring into view first (a long panel scrolls). */
  focus?: string;
}

const DAY = 24 * 60 * 60 * 1000;

/** The XDMoD token route of the demo, as a fault names it. */
const XDMOD_TOKEN_ROUTE = 'GET /rest/users/current/api/token';

export const PANEL_STATES: IPanelState[] = [
  {
    name: 'no-token',
    title:
      'No token yet: XDMoD is one click away, SODAR and Axivion ask to sign in',
    reach: async page => {
      const section = await openPortalSection(page, XDMOD);
      await expect(Names.generate(section)).toBeVisible();
      await panelSettled(page);
    }
  },
  {
    name: 'live',
    title: 'A live XDMoD token, in the running kernel',
    reach: async page => {
      await newNotebook(page, 'python3');
      const section = await generateIn(page, XDMOD);
      await expect(Names.revoke(section)).toBeVisible();
      await panelSettled(page);
    }
  },
  {
    name: 'expiring',
    title: 'Two days before the XDMoD token expires',
    reach: async page => {
      // The page's clock moves on from where it is (the demo's fixed instant for `make
      // screenshots`); the portal's stays behind, so the token stays valid there.
      await page.clock.install({ time: await page.evaluate(() => Date.now()) });
      await page.reload();
      await newNotebook(page, 'python3');
      const section = await generateIn(page, XDMOD);
      const expires = await xdmodExpiry(page);
      const now = await page.evaluate(() => Date.now());
      await page.clock.fastForward(expires - now - 2 * DAY - 60 * 60 * 1000);
      await expect(Names.expiringSoon(section)).toBeVisible();
      await panelSettled(page);
    }
  },
  {
    name: 'signed-out',
    title: 'The XDMoD session has ended',
    reach: async (page, request, baseURL) => {
      // XDMoD answers its token route with 401 when the portal session is gone. Signing the
      // shared demo session out would lock every later test out of JupyterLab behind XDMoD.
      await armFault(request, baseURL, {
        route: XDMOD_TOKEN_ROUTE,
        status: 401
      });
      await page.reload();
      const section = await openPortalSection(page, XDMOD);
      await expect(Names.signedOut(section)).toBeVisible();
      await panelSettled(page);
    }
  },
  {
    name: 'forms-open',
    title:
      'The forms, opened on demand: a new SODAR token, signing in to Axivion',
    reach: async page => {
      await openForm(await openPortalSection(page, SODAR), 'New token…');
      await openForm(await openPortalSection(page, AXIVION), 'Sign in…');
      await panelSettled(page);
    }
  },
  {
    name: 'axivion-list',
    title: 'Axivion: signed in, a token made here and one made elsewhere',
    focus: AXIVION,
    reach: async (page, request, baseURL) => {
      await createAxivionToken(request, baseURL, 'CI pipeline');
      await newNotebook(page, 'python3');
      const section = await generateIn(page, AXIVION);
      await expect(Names.tokenList(section)).toContainText('CI pipeline');
      await panelSettled(page);
    }
  }
];

/**
 * The panel's controls and states by role and accessible name, in one place: the panel's
 * wording is still changing, and these follow it.
 */
export namespace Names {
  /** The one-click "Generate token" of a portal without a token. */
  export function generate(section: Locator): Locator {
    return section.getByRole('button', { name: 'Generate token', exact: true });
  }

  /** Opening a card's form for a new token. */
  export function newToken(section: Locator): Locator {
    return section.getByRole('button', { name: 'New token…', exact: true });
  }

  /** Revoking the live token. */
  export function revoke(section: Locator): Locator {
    return section.getByRole('button', { name: 'Revoke token', exact: true });
  }

  /** What says a token expires soon. */
  export function expiringSoon(section: Locator): Locator {
    return section.getByRole('button', { name: 'Renew token', exact: true });
  }

  /** What says the portal session is gone, with the way to sign in again. */
  export function signedOut(section: Locator): Locator {
    return section.getByRole('link', { name: /^Sign in to / });
  }

  /** A portal's list of the user's tokens. */
  export function tokenList(section: Locator): Locator {
    return section.getByRole('list', { name: /^Your tokens at / });
  }
}

/** The panel, open, once no portal is still being asked. */
export async function panelSettled(page: IJupyterLabPageFixture) {
  const panel = await openTokenPanel(page);
  await expect(panel.locator('[aria-busy="true"]')).toHaveCount(0);
  return panel;
}

/** The panel region's element id, for tools that take a CSS selector (axe's `include`). */
export async function panelSelector(
  page: IJupyterLabPageFixture
): Promise<string> {
  const panel = await openTokenPanel(page);
  const id = await panel.getAttribute('id');
  expect(id, 'the "API tokens" region has an id').toBeTruthy();
  return `#${id}`;
}

/**
 * When the demo user's XDMoD token expires, as the portal says (XDMoD's `Y-m-d H:i:s` in
 * the demo's local time, which is this machine's).
 */
async function xdmodExpiry(page: IJupyterLabPageFixture): Promise<number> {
  const response = await page.request.get(
    `${portalUrl()}rest/users/current/api/token`
  );
  expect(response.status()).toBe(200);
  const { data } = (await response.json()) as {
    data: { expiration_date: string };
  };
  const expires = new Date(data.expiration_date.replace(' ', 'T')).getTime();
  expect(expires).toBeGreaterThan(Date.now());
  return expires;
}
