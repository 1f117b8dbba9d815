import { INestApplication, Logger } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Paths the gateway itself answers; the web client never shadows them. */
const SERVER_PATHS = /^\/(auth|health|metrics|socket\.io)(\/|$)/;

/** The built web client (`dist/web`, made by `npm run build:web`) above `from`, if any. */
export function findWebClient(from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Serves the web client at `/`: its files as they are (hashed assets cached for a year), and
 * index.html for any other GET that asks for a page (so a reload on a deep link works). The
 * gateway's own routes (/auth, /health, /socket.io) are never answered from here.
 */
export function serveWebClient(app: INestApplication, root = findWebClient()): void {
  if (!root) {
    new Logger('WebClient').log('no built web client (npm run build:web): not serving /');
    return;
  }
  const index = readFileSync(join(root, 'index.html'));
  const assets = join(root, 'assets') + sep; // file names carry a content hash
  const files = express.static(root, {
    setHeaders: (res, path) =>
      res.setHeader(
        'Cache-Control',
        path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache',
      ),
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (SERVER_PATHS.test(req.path)) return next();
    files(req, res, () => {
      if (req.method !== 'GET' || !req.headers.accept?.includes('text/html')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(index);
    });
  });
}
