import { Socket } from 'socket.io-client';
import { io } from 'socket.io-client';
import { createTestDatabase, TestDatabase, testRedisPrefix } from './database';
import { GatewayProcess, startGateway } from './gateway-process';
import { TEST_JWT_SECRET } from './test-app';

/**
 * Real gateway processes (`node dist/...`) sharing one fresh database and one Redis key prefix,
 * as a fleet behind a load balancer would.
 */
export interface Fleet {
  db: TestDatabase;
  env: Record<string, string>;
  gateways: GatewayProcess[];
  /** Starts one more instance (e.g. to replace a killed one). */
  add(): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

export async function startFleet(
  size: number,
  extraEnv: Record<string, string> = {},
): Promise<Fleet> {
  const db = await createTestDatabase();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.BOWL_TEST_REDIS_URL!,
    REDIS_KEY_PREFIX: testRedisPrefix(),
    JWT_SECRET: TEST_JWT_SECRET,
    ...extraEnv,
  };
  const fleet: Fleet = {
    db,
    env,
    gateways: [],
    add: async () => {
      const gateway = await startGateway(env);
      fleet.gateways.push(gateway);
      return gateway;
    },
    stop: async () => {
      await Promise.all(fleet.gateways.map((g) => g.stop('SIGTERM')));
      await db.drop();
    },
  };
  try {
    await Promise.all(Array.from({ length: size }, () => fleet.add()));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

/**
 * A socket whose listeners are attached before it connects, so nothing sent on connect
 * (onlineChats, queued messages) is missed. Every received event is recorded in `events`.
 */
export interface RecordingSocket<S = Socket> {
  socket: S;
  /** Each event with its first argument (`payload`) and all of its arguments. */
  events: { event: string; payload: Record<string, unknown>; args: unknown[] }[];
  /** Payloads received so far for `event`. */
  all(event: string): Record<string, unknown>[];
  /** Waits until `predicate` holds for some payload of `event` (already received or future). */
  waitFor(
    event: string,
    predicate?: (payload: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): void;
}

export interface ConnectOptions {
  /** Whether (or which) delivered chat messages are acknowledged (default: all). */
  ackMessages?: boolean | ((payload: Record<string, unknown>) => boolean);
}

const CHAT_EVENTS = new Set(['contactChatMessage', 'groupChatMessage']);

/** What recording needs of a socket.io client socket, of any client version. */
export interface ClientSocket {
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  once(event: 'connect', listener: () => void): unknown;
  once(event: 'connect_error', listener: (err: Error) => void): unknown;
  close(): unknown;
}

/**
 * Records every event `socket` receives, `onEvent` having seen it first (to acknowledge it, say);
 * resolves once the socket is connected, rejects with its connect_error.
 */
export function recordEvents<S extends ClientSocket>(
  socket: S,
  onEvent: (event: string, args: unknown[]) => void = () => undefined,
): Promise<RecordingSocket<S>> {
  const events: RecordingSocket['events'] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, ...args: unknown[]) => {
    onEvent(event, args);
    events.push({ event, payload: args[0] as Record<string, unknown>, args });
    for (const wake of [...waiters]) wake();
  });
  const recording: RecordingSocket<S> = {
    socket,
    events,
    all: (event) => events.filter((e) => e.event === event).map((e) => e.payload),
    waitFor: (event, predicate = () => true, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find((e) => e.event === event && predicate(e.payload));
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.payload);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching ${event} within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      }),
    close: () => void socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(recording));
    socket.once('connect_error', (err) => reject(err));
  });
}

export function connectRecording(
  baseUrl: string,
  token: string,
  options: ConnectOptions = {},
): Promise<RecordingSocket> {
  const socket = io(baseUrl, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return recordEvents(socket, (event, args) => {
    const last = args[args.length - 1];
    const ack = options.ackMessages ?? true;
    const wanted = typeof ack === 'function' ? ack(args[0] as Record<string, unknown>) : ack;
    if (CHAT_EVENTS.has(event) && typeof last === 'function' && wanted) {
      (last as (reply: unknown) => void)({ status: 'OK' });
    }
  });
}
