import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DesktopPaths } from './paths';

/** A real HTTP server whose one listener echoes the URL it got (as socket.io would see it). */
describe('DesktopPaths', () => {
  let server: Server;
  let base: string;
  const paths = new DesktopPaths('/tok.1');
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      res.end(JSON.stringify({ url: req.url, admitted: paths.admits(req) }));
    });
    paths.install(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (seen.length = 0));

  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return {
      status: res.status,
      cors: res.headers.get('access-control-allow-origin'),
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };

  it('leads the desktop socket.io path to Bowl’s, admitted from any origin', async () => {
    expect(await get('/tok.1/socket.io/?EIO=4&transport=polling')).toEqual({
      status: 200,
      cors: '*',
      body: { url: '/socket.io/?EIO=4&transport=polling', admitted: true },
    });
  });

  it('lets the desktop HTTP routes be read from any origin, unchanged', async () => {
    expect(await get('/tok.1/user/getUserDetails?email=a@b.c')).toEqual({
      status: 200,
      cors: '*',
      body: { url: '/tok.1/user/getUserDetails?email=a@b.c', admitted: false },
    });
    expect((await get('/tok.1')).body).toEqual({ url: '/tok.1', admitted: false });
  });

  it('does not touch other paths, Bowl’s own socket.io path included', async () => {
    for (const path of ['/socket.io/?EIO=4&transport=polling', '/tok.10/socket.io/', '/auth/x']) {
      expect(await get(path)).toEqual({
        status: 200,
        cors: null,
        body: { url: path, admitted: false },
      });
    }
  });

  it('answers CORS preflights under the prefix itself', async () => {
    const res = await fetch(`${base}/tok.1/user/update`, {
      method: 'OPTIONS',
      headers: { Origin: 'app://.', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(res.status).toBe(204);
    expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-')))).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, PUT',
      'access-control-allow-headers': 'Content-Type, Authorization, token',
      'access-control-max-age': '600',
    });
    expect(seen).toEqual([]);
    // A plain OPTIONS (no preflight) and a preflight elsewhere go on as they are.
    expect((await get('/tok.1/login', { method: 'OPTIONS' })).body).toEqual({
      url: '/tok.1/login',
      admitted: false,
    });
    const elsewhere = await get('/auth/login', {
      method: 'OPTIONS',
      headers: { Origin: 'app://.', 'Access-Control-Request-Method': 'POST' },
    });
    expect(elsewhere).toEqual({
      status: 200,
      cors: null,
      body: { url: '/auth/login', admitted: false },
    });
  });

  it('rewrites websocket upgrades the same way', () => {
    const upgrade = { url: '/tok.1/socket.io/?EIO=4&transport=websocket' } as IncomingMessage;
    server.emit('upgrade', upgrade, undefined, Buffer.alloc(0));
    expect(upgrade.url).toBe('/socket.io/?EIO=4&transport=websocket');
    expect(paths.admits(upgrade)).toBe(true);
  });
});
