/**
 * JupyterLab behind the portal: a real JupyterLab, reachable only with a portal session.
 *
 * Uses `JUPYTER_COMMAND`, or the repository's `.venv/bin/jupyter` (`make setup` makes it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { IRunningPortal, startPortal } from '../src/server';

const TIMEOUT = 90_000;
const JUPYTER =
  process.env.JUPYTER_COMMAND ||
  resolve(__dirname, '..', '..', '.venv', 'bin', 'jupyter');

let portal: IRunningPortal;
let rootDir: string;
let cookie: string;
const lines: string[] = [];

beforeAll(async () => {
  if (!existsSync(JUPYTER)) {
    throw new Error(
      `No JupyterLab at ${JUPYTER}: run \`make setup\` or set JUPYTER_COMMAND.`
    );
  }
  rootDir = mkdtempSync(join(tmpdir(), 'portal-jupyter-'));
  portal = await startPortal({
    port: 0,
    logger: { line: text => lines.push(text) },
    jupyter: { command: JUPYTER, cwd: rootDir }
  });
  const signedIn = await fetch(`${portal.url}rest/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'username=demo&password=demo'
  });
  expect(signedIn.status).toBe(200);
  cookie = signedIn.headers
    .getSetCookie()
    .map(header => header.split(';')[0])
    .join('; ');
}, TIMEOUT);

afterAll(async () => {
  await portal?.close();
  if (rootDir) {
    rmSync(rootDir, { recursive: true, force: true });
  }
}, TIMEOUT);

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(new URL(path, portal.url), { headers, redirect: 'manual' });
}

it('keeps JupyterLab closed without a portal session', async () => {
  const api = await get('jupyter/api/status');
  expect(api.status).toBe(401);

  const page = await get('jupyter/lab', { Accept: 'text/html' });
  expect(page.status).toBe(302);
  expect(page.headers.get('location')).toBe('/?next=%2Fjupyter%2Flab');
});

it('does not let anyone reach JupyterLab around the portal', async () => {
  const direct = await fetch(
    `http://127.0.0.1:${portal.jupyterPort}/jupyter/api/kernels`
  );
  expect(direct.status).toBe(403);
});

it('serves JupyterLab under /jupyter/ to a signed-in person', async () => {
  const status = await get('jupyter/api/status', { Cookie: cookie });
  expect(status.status).toBe(200);
  expect(await status.json()).toEqual(
    expect.objectContaining({ started: expect.any(String) })
  );

  const home = await get('', { Cookie: cookie, Accept: 'text/html' });
  expect(await home.text()).toContain(
    '<a href="/jupyter/lab">Open JupyterLab</a>'
  );

  const lab = await get('jupyter/lab', { Cookie: cookie, Accept: 'text/html' });
  expect(lab.status).toBe(200);
  expect(await lab.text()).toContain('"baseUrl": "/jupyter/"');
});

it('sends the person to JupyterLab after signing in from the gate', async () => {
  const form = await fetch(`${portal.url}rest/auth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'text/html'
    },
    body: 'username=demo&password=demo&redirect=1&next=%2Fjupyter%2Flab%3Freset'
  });
  expect(form.status).toBe(303);
  expect(form.headers.get('location')).toBe('/jupyter/lab?reset');
});

it(
  'runs a kernel over a WebSocket through the proxy',
  async () => {
    // Token-authenticated by the proxy, so no XSRF token is needed.
    const created = await fetch(`${portal.url}jupyter/api/kernels`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'python3' })
    });
    expect(created.status).toBe(201);
    const kernel = (await created.json()) as { id: string };
    const path = `/jupyter/api/kernels/${kernel.id}/channels?session_id=test`;

    const refused = await upgrade(path, {});
    expect(refused.status).toBe(401);
    refused.socket.destroy();

    const opened = await upgrade(path, {
      Cookie: cookie,
      Origin: portal.url.replace(/\/$/, '')
    });
    expect(opened.status).toBe(101);
    const socket = opened.socket;
    try {
      const msgId = randomBytes(8).toString('hex');
      const reply = waitForMessage(
        socket,
        opened.head,
        message =>
          message.msg_type === 'kernel_info_reply' &&
          message.parent_header?.msg_id === msgId
      );
      sendText(
        socket,
        JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: 'kernel_info_request',
            username: 'test',
            session: 'test',
            date: new Date().toISOString(),
            version: '5.3'
          },
          parent_header: {},
          metadata: {},
          content: {},
          channel: 'shell',
          buffers: []
        })
      );
      const message = await reply;
      expect(message.content.status).toBe('ok');
      const channels = `/jupyter/api/kernels/${kernel.id}/channels`;
      expect(lines).toContain(`GET ${channels} 401`);
      expect(lines).toContain(`GET ${channels} 101`);
    } finally {
      socket.destroy();
      await fetch(`${portal.url}jupyter/api/kernels/${kernel.id}`, {
        method: 'DELETE',
        headers: { Cookie: cookie }
      });
    }
  },
  TIMEOUT
);

describe('the hub: the same JupyterLab on no portal’s origin', () => {
  const hub = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, portal.hubUrl), { redirect: 'manual', ...init });
  let hubCookie: string;

  it('is on a port of its own, behind its own sign-in', async () => {
    const origins = [portal.url, portal.sodarUrl, portal.axivionUrl];
    expect(origins.map(url => new URL(url).port)).not.toContain(
      new URL(portal.hubUrl!).port
    );
    const page = await hub('jupyter/lab', { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(
      '/hub/login?next=%2Fjupyter%2Flab'
    );
    // A browser sends a host's cookies to all its ports: XDMoD's session opens no hub.
    const withPortalSession = await hub('jupyter/api/status', {
      headers: { Cookie: cookie }
    });
    expect(withPortalSession.status).toBe(401);
    await withPortalSession.body?.cancel();
  });

  it('signs a person in to the hub and serves JupyterLab there', async () => {
    const form = (password: string) =>
      hub('hub/login', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'text/html'
        },
        body: `username=demo&password=${password}&next=%2Fjupyter%2Flab`
      });
    const wrong = await form('nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Invalid username or password.');
    const right = await form('demo');
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/jupyter/lab');
    hubCookie = right.headers
      .getSetCookie()
      .map(header => header.split(';')[0])
      .join('; ');
    const lab = await hub('jupyter/lab', {
      headers: { Cookie: hubCookie, Accept: 'text/html' }
    });
    expect(lab.status).toBe(200);
    expect(await lab.text()).toContain('"baseUrl": "/jupyter/"');
    // The hub's session opens no portal: XDMoD still sees no one signed in.
    const xdmod = await get('rest/users/current/api/token', {
      Cookie: hubCookie
    });
    expect(xdmod.status).toBe(401);
    await xdmod.body?.cancel();
  });

  it('upgrades WebSockets for a hub session only', async () => {
    const created = await hub('jupyter/api/kernels', {
      method: 'POST',
      headers: { Cookie: hubCookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'python3' })
    });
    expect(created.status).toBe(201);
    const kernel = (await created.json()) as { id: string };
    const path = `/jupyter/api/kernels/${kernel.id}/channels?session_id=hub`;
    try {
      const refused = await upgrade(path, { Cookie: cookie }, portal.hubUrl);
      expect(refused.status).toBe(401);
      refused.socket.destroy();
      const opened = await upgrade(
        path,
        { Cookie: hubCookie, Origin: portal.hubUrl!.replace(/\/$/, '') },
        portal.hubUrl
      );
      expect(opened.status).toBe(101);
      opened.socket.destroy();
    } finally {
      await hub(`jupyter/api/kernels/${kernel.id}`, {
        method: 'DELETE',
        headers: { Cookie: hubCookie }
      });
    }
  });
});

// JupyterLab puts the administrator's overrides into the schema's defaults.
it('gives JupyterLab the portals at their own origins, as overrides.json', async () => {
  const settings = await get(
    'jupyter/lab/api/settings/jupyterlab-portal-token:plugin',
    { Cookie: cookie }
  );
  expect(settings.status).toBe(200);
  const portals = (
    (await settings.json()) as {
      schema: {
        properties: { portals: { default: { id: string; url: string }[] } };
      };
    }
  ).schema.properties.portals.default;
  expect(portals.map(({ id, url }) => [id, url])).toEqual([
    ['xdmod', portal.url],
    ['sodar', portal.sodarUrl],
    ['axivion', portal.axivionUrl]
  ]);
  expect(existsSync(portal.overridesFile!)).toBe(true);
});

it('keeps the upstream token out of the log', () => {
  // JupyterLab prints its URL with the token at start-up; the portal masks it.
  expect(lines).toContainEqual(
    expect.stringMatching(/^\[jupyter\] .*\/jupyter\/lab\?token=<token>/)
  );
  for (const line of lines) {
    expect(line).not.toMatch(/token=(?!<token>)/);
    expect(line).not.toMatch(/[0-9a-f]{64}/);
  }
});

it(
  'stops JupyterLab when the portal closes',
  async () => {
    const upstream = `http://127.0.0.1:${portal.jupyterPort}/jupyter/api/status`;
    await portal.close();
    await expect(fetch(upstream)).rejects.toThrow();
    await expect(fetch(portal.hubUrl!)).rejects.toThrow();
    expect(existsSync(portal.overridesFile!)).toBe(false);
  },
  TIMEOUT
);

/** Opens a WebSocket handshake by hand (Node 20 has no WebSocket client). */
function upgrade(
  path: string,
  headers: Record<string, string>,
  base: string = portal.url
): Promise<{ status: number; socket: Socket; head: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(new URL(path, base), {
      headers: {
        ...headers,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64')
      }
    });
    req.on('upgrade', (res, socket, head) =>
      resolvePromise({ status: res.statusCode ?? 0, socket, head })
    );
    req.on('response', res => {
      res.resume();
      resolvePromise({
        status: res.statusCode ?? 0,
        socket: res.socket as Socket,
        head: Buffer.alloc(0)
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends one masked text frame, as a client must. */
function sendText(socket: Socket, text: string): void {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([0x81, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    throw new Error('Frame too large for this test client');
  }
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  socket.write(Buffer.concat([header, mask, masked]));
}

/** Reads unmasked server text frames until one matches. */
function waitForMessage(
  socket: Socket,
  head: Buffer,
  matches: (message: any) => boolean
): Promise<any> {
  return new Promise((resolvePromise, reject) => {
    let buffer = head;
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) {
          return;
        }
        let length = buffer[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) {
            return;
          }
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) {
            return;
          }
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) {
          return;
        }
        const opcode = buffer[0] & 0x0f;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 0x1) {
          const message = JSON.parse(payload.toString('utf8'));
          if (matches(message)) {
            socket.off('data', onData);
            resolvePromise(message);
            return;
          }
        } else if (opcode === 0x8) {
          reject(new Error('The server closed the WebSocket'));
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    onData(Buffer.alloc(0));
  });
}
