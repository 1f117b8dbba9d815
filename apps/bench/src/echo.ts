import { IoAdapter } from '@nestjs/platform-socket.io';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'socket.io';
import { BenchClient, BenchUser, chatFields, ciphertext, closeAll, connectAll } from './client';
import { limitNote, pump } from './load';
import { startProbe } from './probe';
import { now, rate, summarize } from './stats';
import type { Row, Settings } from './types';

const ECHO_SEQUENTIAL_MAX = 2_000;
const ECHO_SEQUENTIAL_LIMIT_MS = 3_000;

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A bare socket.io server in this process that answers `echo` with an ack shaped like a send
 * receipt: no Nest, no validation, no database. Round trips to it are the floor for this machine.
 */
export async function startEchoServer(): Promise<EchoServer> {
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', resolve);
  });
  const io = new IoAdapter(http).create(0);
  io.on('connection', (socket: Socket) => {
    socket.on('echo', (_payload: unknown, ack: unknown) => {
      if (typeof ack === 'function') {
        ack({ status: 'OK', id: randomUUID(), sentAt: new Date().toISOString() });
      }
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}

/** Round trips to a bare socket.io server in this process: one at a time, then as loaded as 1:1. */
export async function echoBaseline(settings: Settings): Promise<Row[]> {
  const server = await startEchoServer();
  const noUser: BenchUser = { email: 'echo', token: '' };
  const payload = { ...chatFields, to: 'someone@example.com', message: ciphertext('echo') };
  const roundTrip = async (client: BenchClient, into: number[]) => {
    const started = now();
    await client.request('echo', payload);
    into.push(now() - started);
  };
  const clients: BenchClient[] = [];
  try {
    clients.push(...(await connectAll([noUser], () => server.url)));
    const warm: number[] = [];
    for (let i = 0; i < 100; i++) await roundTrip(clients[0], warm);

    const sequential: number[] = [];
    const seqProbe = await startProbe([]);
    const seqStart = now();
    const seqDeadline = seqStart + ECHO_SEQUENTIAL_LIMIT_MS;
    while (sequential.length < ECHO_SEQUENTIAL_MAX && now() < seqDeadline) {
      await roundTrip(clients[0], sequential);
    }
    const seqElapsed = now() - seqStart;
    const seqUsage = await seqProbe.stop();

    const streams = Array.from({ length: settings.pairs }, () => noUser);
    clients.push(...(await connectAll(streams, () => server.url)));
    const loaded: number[] = [];
    const loadProbe = await startProbe([]);
    const loadStart = now();
    const planned = settings.pairs * settings.messages;
    const started = await pump(
      settings.pairs,
      settings.messages,
      settings.window,
      loadStart + settings.sendLimitMs,
      (s) => roundTrip(clients[1 + s], loaded),
    );
    const loadElapsed = now() - loadStart;
    const loadUsage = await loadProbe.stop();
    const base = { rateUnit: 'rt/s', warnings: [], problems: [] };
    return [
      {
        ...base,
        scenario: 'baseline echo ×1',
        count: sequential.length,
        sendToOk: summarize(sequential),
        rate: rate(sequential.length, seqElapsed),
        usage: seqUsage,
        notes: [],
      },
      {
        ...base,
        scenario: `baseline echo ×${settings.pairs * settings.window}`,
        count: loaded.length,
        sendToOk: summarize(loaded),
        rate: rate(loaded.length, loadElapsed),
        usage: loadUsage,
        notes: limitNote(started, planned, settings),
      },
    ];
  } finally {
    closeAll(clients);
    await server.close();
  }
}
