import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { guard } from '@app/common';
import { closeRedisClient, createRedisClient, RedisClient, RedisTarget } from '@app/database';
import { originAllowed } from './http-hardening';

export interface BowlIoOptions {
  /** Largest socket.io frame accepted; a bigger one closes that connection, nothing else. */
  maxHttpBufferSize: number;
  /** Browser origins allowed besides the server's own (CORS_ORIGINS); true for any. */
  allowedOrigins: string[] | true;
  /** With Redis, room emits reach sockets on every instance of the fleet. */
  redis?: RedisTarget;
  redisKeyPrefix: string;
  /** Another path socket.io is reached by (Bowl Desktop's, see DesktopPaths). */
  pathAlias?: SocketPathAlias;
}

/** Listeners in front of socket.io on the HTTP server, leading another path to it. */
export interface SocketPathAlias {
  /** Puts its listeners first; called once socket.io is attached to `server`. */
  install(server: HttpServer): void;
  /** Whether a request came by the alias: its clients may come from any origin. */
  admits(req: IncomingMessage): boolean;
}

/** socket.io server settings, plus the Redis adapter for cross-instance fan-out. */
export class BowlIoAdapter extends IoAdapter {
  private readonly logger = new Logger('BowlIoAdapter');
  private redisClients: RedisClient[] = [];
  private adapterFactory?: ReturnType<typeof createAdapter | typeof createShardedAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly options: BowlIoOptions,
  ) {
    super(app);
  }

  async connect(): Promise<void> {
    const target = this.options.redis;
    if (!target) return;
    const pub = createRedisClient(target, 'adapter-pub');
    const sub = createRedisClient(target, 'adapter-sub', { subscriber: true });
    await Promise.all([pub.connect(), sub.connect()]);
    this.redisClients = [pub, sub];
    // The adapter publishes without handling the returned promise: during a Redis outage that
    // rejection would be unhandled and end the process. A lost broadcast is only a lost notice.
    for (const command of ['publish', 'spublish'] as const) {
      const send = pub[command].bind(pub) as (
        channel: string,
        message: string | Buffer,
      ) => Promise<number>;
      (pub as unknown as Record<typeof command, typeof send>)[command] = (channel, message) =>
        send(channel, message).catch((err: Error) => {
          this.logger.warn(`broadcast not published: ${err.message}`);
          return 0;
        });
    }
    // On a Redis Cluster, sharded pub/sub: each room's channel lives on one shard, and only the
    // instances with sockets in a room subscribe to it.
    this.adapterFactory =
      'url' in target
        ? createAdapter(pub, sub, { key: `${this.options.redisKeyPrefix}sio` })
        : createShardedAdapter(pub, sub, { channelPrefix: `${this.options.redisKeyPrefix}sio` });
  }

  /**
   * Bowl's socket events are routed by SocketRouter, so Nest gateways here handle none; Nest's own
   * binding would still build an rxjs pipeline per socket for an empty list.
   */
  bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length > 0) super.bindMessageHandlers(socket, handlers, transform);
  }

  createIOServer(port: number, options?: ServerOptions): Server {
    const { allowedOrigins, pathAlias } = this.options;
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: this.options.maxHttpBufferSize,
      cors:
        allowedOrigins === true || allowedOrigins.length ? { origin: allowedOrigins } : undefined,
      allowRequest: (req: IncomingMessage, answer: (err: string | null, ok: boolean) => void) =>
        answer(
          null,
          originAllowed(req.headers.origin, req.headers.host, allowedOrigins) ||
            (pathAlias?.admits(req) ?? false),
        ),
    });
    pathAlias?.install(this.httpServer as HttpServer);
    if (this.adapterFactory) {
      server.adapter(this.adapterFactory);
      server.of('/').adapter.on(
        'error',
        guard('the socket.io adapter error listener', (err: Error) =>
          this.logger.warn(`adapter: ${err.message}`),
        ),
      );
    }
    return server;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.redisClients.map(closeRedisClient));
  }
}
