import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Socket.IO's own path, where Bowl's server listens. */
const SOCKET_IO_PATH = '/socket.io/';

/**
 * Bowl Desktop's paths on the HTTP server, in front of socket.io and the HTTP routes. The desktop
 * is a page of its own origin (`app://.`), so any origin may call them: CORS `*`, preflights
 * answered here (its tokens travel in headers, never in cookies, so no page gains anything it
 * does not hold). Its socket.io path, `<prefix>/socket.io/`, is Bowl's `/socket.io/`.
 */
export class DesktopPaths {
  private readonly socketPath: string;
  /** Requests that came by the desktop's socket.io path (rewritten to Bowl's). */
  private readonly bySocketPath = new WeakSet<IncomingMessage>();

  constructor(private readonly prefix: string) {
    this.socketPath = `${prefix}${SOCKET_IO_PATH}`;
  }

  /**
   * Goes in front of the server's listeners. Call it once socket.io is attached (it takes over the
   * `request` listeners it finds, as socket.io does), so that the desktop's paths are read first.
   */
  install(server: Server): void {
    const listeners = server.listeners('request') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.answer(req, res)) return;
      for (const listener of listeners) listener.call(server, req, res);
    });
    server.prependListener('upgrade', (req: IncomingMessage) => this.route(req));
  }

  /** Whether a socket.io request came by the desktop's path (its origin is not checked). */
  admits(req: IncomingMessage): boolean {
    return this.bySocketPath.has(req);
  }

  /**
   * For a request under the prefix: answers a CORS preflight (true: nothing else runs), or marks
   * the response as readable from any origin and routes it on.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.isUnderPrefix(req.url ?? '')) return false;
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, token');
      res.setHeader('Access-Control-Max-Age', '600');
      res.statusCode = 204;
      res.end();
      return true;
    }
    this.route(req);
    return false;
  }

  /** `<prefix>/socket.io/…` becomes `/socket.io/…`, remembered as the desktop's. */
  route(req: IncomingMessage): void {
    const url = req.url ?? '';
    if (!url.startsWith(this.socketPath)) return;
    req.url = url.slice(this.prefix.length);
    this.bySocketPath.add(req);
  }

  private isUnderPrefix(url: string): boolean {
    return url.startsWith(this.prefix) && /^($|[/?])/.test(url.slice(this.prefix.length));
  }
}
