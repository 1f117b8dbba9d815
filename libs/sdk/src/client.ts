import { io } from 'socket.io-client';
import type {
  AcknowledgedServerEvent,
  ClientAck,
  ClientEvent,
  ClientPayload,
  ConnectError,
  ErrorAck,
  OkAckOf,
  ServerEvent,
  ServerEvents,
} from '../../protocol/src/index.js';
import { AuthApi, Profile, RegisterInput, Session } from './auth-api.js';
import {
  BowlError,
  ConnectionLostError,
  errorFromAck,
  HttpError,
  RequestTimeoutError,
  SessionEndedError,
} from './errors.js';
import { webCrypto } from './crypto/bytes.js';

/** The part of a socket.io-client Socket the client uses (tests may pass a fake). */
export interface SocketLike {
  readonly connected: boolean;
  connect(): unknown;
  disconnect(): unknown;
  on(event: 'connect', listener: () => void): unknown;
  on(event: 'connect_error', listener: (err: Error & ConnectError) => void): unknown;
  on(event: 'disconnect', listener: (reason: string) => void): unknown;
  /** Every other incoming event, with the ack callback last when the server asked for one. */
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
}

/** Opens (without connecting) a socket whose handshake sends what `auth` yields. */
export type SocketFactory = (
  url: string,
  auth: (send: (data: { token: string }) => void) => void,
) => SocketLike;

export const socketIoFactory: SocketFactory = (url, auth) =>
  io(url, { auth, autoConnect: false, reconnection: false, forceNew: true });

export type ConnectionStatus =
  | { state: 'closed' }
  | { state: 'connecting' }
  | { state: 'online' }
  /** Lost or refused; the next attempt is in `retryInMs`. */
  | { state: 'offline'; retryInMs: number; error?: string }
  /** Over for good (logged out, password changed, tokens refused): log in again. */
  | { state: 'ended'; reason: string };

export interface BowlClientOptions {
  /** The gateway's base URL, e.g. `http://localhost:3000` (HTTP and socket.io share it). */
  url: string;
  fetch?: typeof fetch;
  socketFactory?: SocketFactory;
  /** Reconnect delays: doubling from `minMs` up to `maxMs`, each randomised down to half. */
  backoff?: { minMs?: number; maxMs?: number };
  /** How long a request waits for its ack (default 15 s). */
  requestTimeoutMs?: number;
  /** Refresh the access token this long before it expires (default 60 s, at most half its life). */
  refreshLeadMs?: number;
  /** How many delivered message ids are remembered to drop redeliveries (default 10 000). */
  rememberedMessages?: number;
}

type Handler<E extends ServerEvent> = (payload: ServerEvents[E]) => void | Promise<void>;

interface Pending {
  event: ClientEvent;
  payload: object;
  /** Carries a clientMessageId, so sending it again can never store it twice. */
  resendable: boolean;
  resolve(ack: unknown): void;
  reject(err: Error): void;
  /** Called once it leaves flight (answered, timed out, or the connection dropped). */
  settled?: () => void;
}

/** Events sent with a clientMessageId, which the server stores at most once. */
const RESENDABLE: ReadonlySet<ClientEvent> = new Set(['contactChatMessage', 'groupChatMessage']);
/** Events the server emits with an ack callback, to learn that the client holds them. */
const ACKNOWLEDGED: ReadonlySet<string> = new Set<AcknowledgedServerEvent>([
  'contactChatMessage',
  'groupChatMessage',
  'messagesDropped',
]);

/**
 * A Bowl connection: log in, connect, and stay connected. It reconnects with backoff, refreshes
 * the access token before it expires (and hands it to the open socket), acknowledges delivered
 * messages and `messagesDropped` only once the app's handlers resolved (and drops redeliveries
 * by id), turns ERROR acks into typed errors, and queues requests while offline; chat messages
 * carry a clientMessageId, so one resent after a lost ack is still stored only once.
 */
export class BowlClient {
  readonly api: AuthApi;
  private readonly url: string;
  private readonly factory: SocketFactory;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly refreshLeadMs: number;
  private readonly rememberedMessages: number;

  private session?: Session;
  private socket?: SocketLike;
  private status: ConnectionStatus = { state: 'closed' };
  private attempts = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private refreshing?: Promise<boolean>;
  /** When the access token should be refreshed (epoch ms); unset without a refresh token. */
  private renewAt?: number;

  private readonly handlers = new Map<string, Set<Handler<ServerEvent>>>();
  private readonly statusListeners = new Set<(status: ConnectionStatus) => void>();
  private readonly errorListeners = new Set<(err: Error) => void>();
  /** Delivered message id → the app's handling of it (insertion order = age). */
  private readonly handled = new Map<string, Promise<void>>();
  private outbox: Pending[] = [];
  /** Sent and awaiting their ack, each with its timeout. */
  private readonly inFlight = new Map<Pending, ReturnType<typeof setTimeout>>();
  private flushing = false;
  /** The server said it is shutting down: requests wait for the next connection. */
  private draining = false;

  constructor(options: BowlClientOptions) {
    this.api = new AuthApi(options.url, options.fetch);
    this.factory = options.socketFactory ?? socketIoFactory;
    this.url = options.url;
    this.minBackoffMs = options.backoff?.minMs ?? 500;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.refreshLeadMs = options.refreshLeadMs ?? 60_000;
    this.rememberedMessages = options.rememberedMessages ?? 10_000;
  }

  get state(): ConnectionStatus['state'] {
    return this.status.state;
  }

  // ------------------------------------------------------------------------------ session

  async register(input: RegisterInput): Promise<Profile> {
    const { session, user } = await this.api.register(input);
    this.useSession(session);
    return user;
  }

  async login(email: string, password: string): Promise<void> {
    this.useSession(await this.api.login(email, password));
  }

  /** Adopts a session (from login, or one kept by the app) and plans its refresh. */
  useSession(session: Session): void {
    this.session = session;
    this.renewAt = this.renewTime(session);
    if (this.status.state === 'ended') this.setStatus({ state: 'closed' });
    this.planRefresh();
  }

  /** Revokes the refresh token (when there is one) and ends the session. */
  async logout(): Promise<void> {
    const refreshToken = this.session?.refreshToken;
    this.end('logged out');
    if (refreshToken) await this.api.logout(refreshToken);
  }

  // --------------------------------------------------------------------------- connection

  /** Connects (and keeps reconnecting); resolves once online, rejects if the session ends first. */
  connect(): Promise<void> {
    if (!this.session) return Promise.reject(new BowlError('no_session', 'log in first'));
    if (this.status.state === 'ended') {
      return Promise.reject(new SessionEndedError(this.status.reason));
    }
    if (this.status.state === 'online') return Promise.resolve();
    const online = new Promise<void>((resolve, reject) => {
      const stop = this.onStatus((status) => {
        if (status.state === 'online') resolve();
        else if (status.state === 'ended') reject(new SessionEndedError(status.reason));
        else if (status.state === 'closed')
          reject(new BowlError('closed', 'closed while connecting'));
        else return;
        stop();
      });
    });
    if (this.status.state === 'closed') {
      this.planRefresh(); // close() stopped it
      void this.open();
    }
    return online;
  }

  /** Disconnects and stops reconnecting; waiting requests fail with ConnectionLostError. */
  close(): void {
    this.stop();
    this.failAll((p) => new ConnectionLostError(p.event));
    this.setStatus({ state: 'closed' });
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Errors no caller awaits: a handler that threw (its message is then not acknowledged). */
  onError(listener: (err: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Handles a server → client event. Delivered chat messages and `messagesDropped` are
   * acknowledged once every handler resolved; if one throws (or none is registered) they are
   * not, and the server sends them again on the next connection. Register handlers before
   * connect().
   */
  on<E extends ServerEvent>(event: E, handler: Handler<E>): () => void {
    const set = this.handlers.get(event) ?? new Set();
    this.handlers.set(event, set);
    set.add(handler as Handler<ServerEvent>);
    return () => set.delete(handler as Handler<ServerEvent>);
  }

  /**
   * Sends a client → server event and resolves with its OK ack, or rejects with the typed error
   * of its ERROR ack (errors.ts). While offline it waits in a queue, sent in order once online.
   * Chat messages get a clientMessageId (unless given) and are resent with it when the
   * connection drops or no ack comes; other requests then fail with ConnectionLostError or
   * RequestTimeoutError, since resending them could do them twice.
   */
  request<E extends ClientEvent>(event: E, payload: ClientPayload<E>): Promise<OkAckOf<E>> {
    if (this.status.state === 'ended') {
      return Promise.reject(new SessionEndedError(this.status.reason));
    }
    const resendable = RESENDABLE.has(event);
    const body: object =
      resendable && !(payload as { clientMessageId?: string }).clientMessageId
        ? { ...payload, clientMessageId: webCrypto().randomUUID() }
        : payload;
    return new Promise((resolve, reject) => {
      const pending: Pending = { event, payload: body, resendable, resolve, reject };
      if (this.sending && this.outbox.length === 0) this.transmit(pending);
      else this.outbox.push(pending);
    });
  }

  private async open(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.setStatus({ state: 'connecting' });
    if (this.renewAt !== undefined && Date.now() >= this.renewAt && !(await this.refresh())) return;
    if (this.status.state !== 'connecting') return; // closed or ended meanwhile
    this.socket ??= this.createSocket();
    if (!this.socket.connected) this.socket.connect();
  }

  private createSocket(): SocketLike {
    const socket = this.factory(this.url, (send) =>
      send({ token: this.session?.accessToken ?? '' }),
    );
    socket.on('connect', () => {
      this.attempts = 0;
      this.draining = false;
      this.setStatus({ state: 'online' });
      void this.flush();
    });
    socket.on('connect_error', (err) => this.connectFailed(err));
    socket.on('disconnect', (reason) => this.disconnected(reason));
    socket.onAny((event, ...args) => this.receive(event, args));
    return socket;
  }

  private connectFailed(err: Error & ConnectError): void {
    if (err.message === 'unauthorized') {
      // The token was refused: one refresh may fix it (refresh() ends the session if not).
      if (!this.session?.refreshToken) return this.end('unauthorized');
      this.renewAt = 0;
    }
    // Connecting too fast: not before the server allows it.
    const retryAfterMs = err.data?.retryAfterMs;
    this.retryLater(err.message, typeof retryAfterMs === 'number' ? retryAfterMs : 0);
  }

  private disconnected(reason: string): void {
    this.requeueInFlight();
    if (reason === 'io client disconnect') return; // close() or end()
    if (this.status.state === 'online' || this.status.state === 'connecting') {
      this.retryLater(reason);
    }
  }

  private retryLater(error: string, atLeastMs = 0): void {
    if (this.status.state === 'ended' || this.status.state === 'closed') return;
    const ceiling = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** this.attempts++);
    const retryInMs = Math.max(atLeastMs, Math.round(ceiling * (0.5 + Math.random() / 2)));
    this.setStatus({ state: 'offline', retryInMs, error });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), retryInMs);
  }

  /** Stops the socket and every timer, without touching the status. */
  private stop(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    this.reconnectTimer = this.refreshTimer = undefined;
    this.socket?.disconnect();
  }

  private end(reason: string): void {
    if (this.status.state === 'ended') return;
    this.stop();
    this.setStatus({ state: 'ended', reason });
    this.failAll(() => new SessionEndedError(reason));
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of [...this.statusListeners]) listener(status);
  }

  private report(err: Error): void {
    for (const listener of this.errorListeners) listener(err);
  }

  // --------------------------------------------------------------------------- incoming

  private receive(event: string, args: unknown[]): void {
    const [payload] = args;
    if (event === 'sessionEnded') return this.sessionEnded(payload as { reason?: unknown });
    if (ACKNOWLEDGED.has(event) && typeof args[args.length - 1] === 'function') {
      return void this.deliver(
        event,
        payload as { id?: unknown },
        args[args.length - 1] as () => void,
      );
    }
    this.handle(event, payload).catch((err: Error) => this.report(err));
  }

  /** Runs the handlers of an event; rejects when one throws or, for an acknowledged one, none exist. */
  private async handle(event: string, payload: unknown): Promise<void> {
    const handlers = [...(this.handlers.get(event) ?? [])];
    if (handlers.length === 0 && ACKNOWLEDGED.has(event)) {
      throw new BowlError('unhandled', `no handler for ${event}: left unacknowledged`);
    }
    await Promise.all(handlers.map((handler) => handler(payload as never)));
  }

  private async deliver(event: string, payload: { id?: unknown }, ack: () => void): Promise<void> {
    const id = typeof payload?.id === 'string' ? payload.id : undefined;
    let handling = id === undefined ? undefined : this.handled.get(id);
    if (!handling) {
      handling = this.handle(event, payload);
      if (id !== undefined) this.remember(id, handling);
    }
    try {
      await handling;
      ack();
    } catch (err) {
      if (id !== undefined && this.handled.get(id) === handling) this.handled.delete(id);
      this.report(err as Error);
    }
  }

  private remember(id: string, handling: Promise<void>): void {
    this.handled.set(id, handling);
    if (this.handled.size > this.rememberedMessages) {
      this.handled.delete(this.handled.keys().next().value as string);
    }
  }

  /** The server is about to disconnect this socket on purpose, and says why. */
  private sessionEnded(payload: { reason?: unknown }): void {
    const reason = typeof payload?.reason === 'string' ? payload.reason : 'ended by the server';
    // Reconnect when the disconnect comes, possibly to another instance of the fleet; until
    // then new requests wait.
    if (reason === 'server shutting down') {
      this.draining = true;
      return;
    }
    // Likewise, but with a fresh access token first.
    if (reason === 'token expired' && this.renewAt !== undefined) {
      this.renewAt = 0;
      return;
    }
    this.end(reason);
  }

  // --------------------------------------------------------------------------- outgoing

  private transmit(pending: Pending): void {
    const timer = setTimeout(() => this.timedOut(pending), this.requestTimeoutMs);
    this.inFlight.set(pending, timer);
    this.socket!.emit(pending.event, pending.payload, (ack: unknown) => {
      if (pending.resendable && isShuttingDown(ack) && this.inFlight.has(pending)) {
        // Nothing was done: it stays in flight, so the disconnect that follows sends it again
        // (in order, with the same clientMessageId) on the next connection.
        this.draining = true;
        return;
      }
      if (!this.land(pending)) return; // answered after a timeout or a drop: a newer attempt counts
      const status = (ack as { status?: unknown } | null)?.status;
      if (status === 'OK') pending.resolve(ack);
      else if (status === 'ERROR') pending.reject(errorFromAck(ack as ErrorAck));
      else pending.reject(new BowlError('bad_ack', `${pending.event} got an unexpected answer`));
    });
  }

  private get sending(): boolean {
    return this.status.state === 'online' && !this.draining;
  }

  /** Takes a request out of flight and stops its timer; false if it was not in flight. */
  private land(pending: Pending): boolean {
    const timer = this.inFlight.get(pending);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.inFlight.delete(pending);
    pending.settled?.();
    return true;
  }

  private timedOut(pending: Pending): void {
    if (!this.land(pending)) return;
    const again = { ...pending, settled: undefined };
    if (!pending.resendable) {
      pending.reject(new RequestTimeoutError(pending.event, this.requestTimeoutMs));
    } else if (this.sending) this.transmit(again);
    else this.outbox.unshift(again);
  }

  /** Sends what waited while offline, one at a time and in order. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.sending && this.outbox.length > 0) {
        const pending = this.outbox.shift()!;
        await new Promise<void>((settled) => this.transmit({ ...pending, settled }));
      }
    } finally {
      this.flushing = false;
    }
  }

  /** After a drop: chat messages go back to the front of the queue; other requests fail. */
  private requeueInFlight(): void {
    const resend: Pending[] = [];
    for (const pending of [...this.inFlight.keys()]) {
      this.land(pending);
      if (pending.resendable) resend.push({ ...pending, settled: undefined });
      else pending.reject(new ConnectionLostError(pending.event));
    }
    this.outbox = [...resend, ...this.outbox];
  }

  private failAll(error: (pending: Pending) => Error): void {
    const inFlight = [...this.inFlight.keys()];
    inFlight.forEach((pending) => this.land(pending));
    const all = [...inFlight, ...this.outbox];
    this.outbox = [];
    for (const pending of all) pending.reject(error(pending));
  }

  // ------------------------------------------------------------------------ token refresh

  /** When to refresh a new session's token: `refreshLeadMs` before expiry, at most mid-life. */
  private renewTime(session: Session): number | undefined {
    if (!session.refreshToken || session.expiresAt === undefined) return undefined; // no refresh tokens
    const lifetimeMs = Math.max(0, session.expiresAt - Date.now());
    return Date.now() + lifetimeMs - Math.min(this.refreshLeadMs, lifetimeMs / 2);
  }

  private planRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.renewAt === undefined) return;
    const waitMs = Math.max(0, this.renewAt - Date.now());
    this.refreshTimer = setTimeout(() => void this.renew(), waitMs);
  }

  /** Refreshes the tokens, then moves the open socket onto the new access token. */
  private async renew(): Promise<void> {
    if (!(await this.refresh()) || !this.socket?.connected) return;
    const token = this.session!.accessToken;
    const ack = await new Promise<ClientAck<'renewToken'> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), this.requestTimeoutMs);
      this.socket!.emit('renewToken', { token }, (answer: ClientAck<'renewToken'>) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    // A server without renewToken keeps the socket open; one that refused the token gets it
    // again in a new handshake.
    if (ack?.status === 'ERROR' && ack.code !== 'unknown_event') {
      this.socket.disconnect();
      this.retryLater(ack.error);
    }
  }

  /** One refresh at a time; false when it failed (the session is then ended or retried). */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshOnce().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<boolean> {
    const refreshToken = this.session?.refreshToken;
    if (!refreshToken) return false;
    try {
      this.useSession(await this.api.refresh(refreshToken));
      return true;
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) this.end('refresh token refused');
      else this.retryLater((err as Error).message);
      return false;
    }
  }
}

/** The ERROR a draining instance answers: nothing was done, send it again elsewhere. */
function isShuttingDown(ack: unknown): boolean {
  return (ack as { code?: unknown } | null)?.code === 'server_shutting_down';
}
