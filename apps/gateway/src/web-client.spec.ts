import { Controller, Get, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { serveWebClient } from './web-client';

@Controller()
class ServerRoutes {
  @Get('auth/probe')
  auth() {
    return { from: 'auth' };
  }
  @Post('auth/probe')
  authPost() {
    return { from: 'auth post' };
  }
  @Get('health/live')
  health() {
    return { from: 'health' };
  }
}

@Module({ controllers: [ServerRoutes] })
class ProbeModule {}

describe('serveWebClient', () => {
  let root: string;
  let app: INestApplication;
  let url: string;
  const page = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bowl-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Bowl</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    // A file named like a server route must not win over the route.
    mkdirSync(join(root, 'auth'));
    writeFileSync(join(root, 'auth', 'probe'), 'shadow');
    app = await NestFactory.create(ProbeModule, { logger: false });
    serveWebClient(app, root);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await fetch(url + path, { headers, method });
    return [res.status, res.headers.get('content-type')?.split(';')[0], await res.text()];
  };

  it('serves index.html at / and assets with long caching', async () => {
    expect(await get('/', page)).toEqual([200, 'text/html', '<!doctype html><title>Bowl</title>']);
    const asset = await fetch(`${url}/assets/index-abc123.js`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([
      200,
      'public, max-age=31536000, immutable',
    ]);
    expect((await fetch(url)).headers.get('cache-control')).toBe('no-cache');
  });

  it('answers other page requests with index.html, and nothing else', async () => {
    expect(await get('/chat/alice', page)).toEqual([
      200,
      'text/html',
      '<!doctype html><title>Bowl</title>',
    ]);
    expect((await get('/chat/alice', { accept: 'application/json' }))[0]).toBe(404);
    expect((await get('/chat/alice', page, 'POST'))[0]).toBe(404);
  });

  it('never shadows the routes of the gateway', async () => {
    expect(await get('/auth/probe', page)).toEqual([200, 'application/json', '{"from":"auth"}']);
    expect(await get('/auth/probe', page, 'POST')).toEqual([
      201,
      'application/json',
      '{"from":"auth post"}',
    ]);
    expect(await get('/health/live', page)).toEqual([200, 'application/json', '{"from":"health"}']);
    expect((await get('/health/nothing', page))[0]).toBe(404);
    expect((await get('/socket.io/', page))[0]).toBe(404);
  });
});
