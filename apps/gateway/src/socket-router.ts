import { Injectable, Logger, OnModuleInit, SetMetadata, Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import type { Socket } from 'socket.io';
import type { AuthedSocket, AuthUser } from '@app/auth';
import {
  AppValidationPipe,
  Metrics,
  parseJsonPayload,
  ServerShuttingDownError,
  toErrorAck,
  UnknownEventError,
} from '@app/common';
import { LimitName, RateLimiter } from '@app/limits';
import { logContext } from './logging';
import { rateLimitOf } from './rate-limit';
import { Shutdown } from './shutdown';

const SOCKET_HANDLERS = Symbol('bowl:socket-handlers');

/**
 * A class of socket event handlers: each `@SubscribeMessage(event)` method takes the
 * authenticated user, the payload's validated DTO (and the socket, for the few that need it), and
 * returns the OK ack's fields. `@RateLimit(limit)` on a method counts it against its user's limit.
 */
export const SocketHandlers = (): ClassDecorator => SetMetadata(SOCKET_HANDLERS, true);

export const isSocketHandlers = (cls: unknown): boolean =>
  typeof cls === 'function' && Reflect.getMetadata(SOCKET_HANDLERS, cls) === true;

type Handler = (user: AuthUser, dto: object, socket: AuthedSocket) => Promise<object | void>;
type Ack = (reply: object) => void;

interface Route {
  handle: Handler;
  dto: Type<object>;
  limit?: LimitName;
}

/**
 * Routes every socket's events to the handlers, through the one validation pipe and the one error
 * filter; the socket's dialect shapes the OK ack. It stands in for Nest's per-socket binding of
 * gateway handlers, which builds an rxjs pipeline per event per socket (the largest part of a
 * connection's memory in the bench): here each socket gets the same one listener, and a route is
 * found per event in one shared map.
 */
@Injectable()
export class SocketRouter implements OnModuleInit {
  private readonly logger = new Logger('Sockets');
  private readonly routes = new Map<string, Route>();
  private readonly pipe = new AppValidationPipe();
  /** Events being handled now; a shutdown answers them all before it disconnects the sockets. */
  private inFlight = 0;
  private wakeWhenIdle: (() => void)[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: Metrics,
    private readonly limits: RateLimiter,
    private readonly shutdown: Shutdown,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !isSocketHandlers(metatype)) continue;
      const cls = metatype as Type<unknown>;
      for (const { event, method } of socketHandlersOf(cls)) {
        const dto = (Reflect.getMetadata('design:paramtypes', cls.prototype, method) ?? [])[1];
        if (typeof dto !== 'function') throw new Error(`${cls.name}.${method} takes no DTO`);
        if (this.routes.has(event)) throw new Error(`two handlers for "${event}"`);
        const handle = (instance[method] as Handler).bind(instance);
        this.routes.set(event, { handle, dto, limit: rateLimitOf(instance[method]) });
      }
    }
  }

  /** Installs the router on a connected socket. */
  listen(socket: Socket): void {
    socket.onAny(this.listener);
  }

  get eventsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves once every event received so far has been answered. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.wakeWhenIdle.push(resolve));
  }

  /** The one listener of every socket (created once; socket.io calls it with `this` = socket). */
  private readonly listener = ((router: SocketRouter) =>
    function (this: AuthedSocket, event: unknown, ...args: unknown[]) {
      void router.dispatch(this, event, args);
    })(this);

  /** Handles one event in its socket's log context, counted while in flight. */
  private async dispatch(socket: AuthedSocket, event: unknown, args: unknown[]): Promise<void> {
    this.inFlight++;
    const known = typeof event === 'string' && this.routes.has(event) ? event : 'unknown';
    try {
      await logContext.run({ socket: socket.id, event: known }, () =>
        this.handle(socket, event, args),
      );
    } finally {
      if (--this.inFlight === 0) for (const wake of this.wakeWhenIdle.splice(0)) wake();
    }
  }

  private async handle(socket: AuthedSocket, event: unknown, args: unknown[]): Promise<void> {
    const client = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    let name = 'unknown'; // client-chosen names must not become metric labels
    const started = performance.now();
    const ack = (reply: { status: string; code?: string }) => {
      const outcome = reply.status === 'OK' ? 'ok' : (reply.code ?? 'error');
      this.metrics.increment('bowl_socket_events_total', { event: name, outcome });
      this.logger.verbose(`${name}: ${outcome} in ${(performance.now() - started).toFixed(1)} ms`);
      client?.(reply);
    };
    // Anything but exactly one argument is not a payload object (the pipe says so). A JSON
    // string is read as the object it holds.
    const payload = args.length === 1 ? parseJsonPayload(args[0]) : args;
    try {
      // Every event counts against its socket's own bucket; over it: ERROR `rate limited`.
      this.limits.consumeLocal(socket.data);
      // The event name is whatever JSON the client put first in the frame (`421[1,{}]`).
      const route = typeof event === 'string' ? this.routes.get(event) : undefined;
      if (!route) throw new UnknownEventError(event);
      name = event as string;
      // A shutdown drains the sockets: what was received before is answered, nothing new starts.
      if (this.shutdown.closing) throw new ServerShuttingDownError();
      if (route.limit) await this.limits.consume(route.limit, socket.data.user.id);
      const dto = (await this.pipe.transform(payload, {
        type: 'body',
        metatype: route.dto,
      })) as object;
      const { user, dialect } = socket.data;
      const result = await route.handle(user, dto, socket);
      ack({ status: 'OK', ...dialect.reply(name, result ?? {}, user) });
    } catch (err) {
      try {
        const reply = toErrorAck(err, this.logger);
        // Without the client's callback, the error goes out as an `exception` event.
        if (client) ack(reply);
        else socket.emit('exception', reply);
      } catch (fatal) {
        this.logger.error(`could not answer "${String(event)}": ${(fatal as Error).message}`);
      }
    }
  }
}

/** `@SubscribeMessage(event)` methods of a handler class. */
export function socketHandlersOf(cls: Type<unknown>): { event: string; method: string }[] {
  const proto = cls.prototype as object;
  return Object.getOwnPropertyNames(proto).flatMap((method) => {
    const fn = Object.getOwnPropertyDescriptor(proto, method)?.value as unknown;
    if (typeof fn !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn)) return [];
    return [{ event: Reflect.getMetadata(MESSAGE_METADATA, fn) as string, method }];
  });
}
