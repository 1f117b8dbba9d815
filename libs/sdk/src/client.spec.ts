import { BowlClient, SocketLike } from './client';
import {
  ConnectionLostError,
  GroupFullError,
  HttpError,
  InternalError,
  NotAContactError,
  RateLimitedError,
  RequestError,
  RequestTimeoutError,
  SessionEndedError,
  ValidationError,
} from './errors';

/**
 * The connection logic against a scripted socket and HTTP server, with fake timers: reconnects,
 * acks, dedupe, the offline queue and token refresh, step by step. test/sdk.e2e-spec.ts runs the
 * same client against a real gateway.
 */

/** Any listener; the fake calls each with what the real socket would pass. */
type Listener = (...args: never[]) => void;
type Call = (...args: unknown[]) => void;

interface Emitted {
  event: string;
  payload: Record<string, unknown>;
  answer: (ack: unknown) => void;
}

/** A socket whose server side the test plays. */
class FakeSocket implements SocketLike {
  connected = false;
  connects = 0;
  readonly handshakes: string[] = [];
  readonly emitted: Emitted[] = [];
  private readonly listeners = new Map<string, Listener[]>();
  private readonly anyListeners: Listener[] = [];

  constructor(private readonly auth: (send: (data: { token: string }) => void) => void) {}

  connect() {
    this.connects++;
    this.auth(({ token }) => this.handshakes.push(token));
  }
  disconnect() {
    if (!this.connected) return;
    this.connected = false;
    this.fire('disconnect', 'io client disconnect');
  }
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  onAny(listener: Listener) {
    this.anyListeners.push(listener);
  }
  emit(event: string, payload: unknown, answer: (ack: unknown) => void) {
    this.emitted.push({ event, payload: payload as Record<string, unknown>, answer });
  }

  // The server's side.
  accept() {
    this.connected = true;
    this.fire('connect');
  }
  refuse(refusal: string | Error) {
    this.fire('connect_error', typeof refusal === 'string' ? new Error(refusal) : refusal);
  }
  drop(reason = 'transport close') {
    this.connected = false;
    this.fire('disconnect', reason);
  }
  send(event: string, ...args: unknown[]) {
    for (const listener of this.anyListeners) (listener as Call)(event, ...args);
  }
  /** Emitted events of one name, in order. */
  sent(event: string): Emitted[] {
    return this.emitted.filter((e) => e.event === event);
  }
  private fire(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) (listener as Call)(...args);
  }
}

interface HttpCall {
  path: string;
  body: Record<string, unknown>;
}

/** A fetch that answers from a script: path → [status, body, headers?] (a list is used in turn). */
function fakeFetch(script: Record<string, [number, unknown, Record<string, string>?][]>) {
  const calls: HttpCall[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    calls.push({ path, body: JSON.parse(init.body as string) as Record<string, unknown> });
    const answers = script[path];
    if (!answers?.length) throw new Error(`no scripted answer for ${path}`);
    const [status, body, headers] = answers.length > 1 ? answers.shift()! : answers[0];
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const MESSAGE = { to: 'bob@example.com', date: '01/12/2026', time: '12:00', messageType: 'text' };
const delivered = (id: string) => ({
  id,
  messageType: 'text',
  message: 'Y2lwaGVy',
  date: '01/12/2026',
  time: '12:00',
  from: 'bob@example.com',
  sentAt: '2026-12-01T12:00:00.000Z',
});

function setup(
  script: Parameters<typeof fakeFetch>[0] = { '/auth/login': [[200, { accessToken: 'a1' }]] },
) {
  const sockets: FakeSocket[] = [];
  const http = fakeFetch(script);
  const client = new BowlClient({
    url: 'http://bowl.test',
    fetch: http.fetch,
    socketFactory: (_url, auth) => {
      const socket = new FakeSocket(auth);
      sockets.push(socket);
      return socket;
    },
    backoff: { minMs: 1000, maxMs: 8000 },
    requestTimeoutMs: 5000,
  });
  const statuses: string[] = [];
  client.onStatus((s) => statuses.push(s.state === 'ended' ? `ended: ${s.reason}` : s.state));
  const errors: Error[] = [];
  client.onError((err) => errors.push(err));
  const socket = () => sockets[0];
  return { client, http, sockets, socket, statuses, errors };
}

/** Logs in and connects; the fake server accepts the handshake. */
async function online(t: ReturnType<typeof setup>) {
  await t.client.login('alice@example.com', 'password1234');
  const connected = t.client.connect();
  await jest.advanceTimersByTimeAsync(0);
  t.socket().accept();
  await connected;
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('BowlClient delivery', () => {
  it('acknowledges a delivered message only once the handler resolved', async () => {
    const t = setup();
    let finish!: () => void;
    const received: string[] = [];
    t.client.on('contactChatMessage', async (m) => {
      received.push(m.id);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    await online(t);
    const ack = jest.fn();
    t.socket().send('contactChatMessage', delivered('m1'), ack);
    await jest.advanceTimersByTimeAsync(1000);
    expect([received, ack.mock.calls.length]).toEqual([['m1'], 0]);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(ack).toHaveBeenCalledTimes(1);
  });

  it('leaves a message unacknowledged when the handler throws, and hands its redelivery over again', async () => {
    const t = setup();
    let calls = 0;
    t.client.on('groupChatMessage', () => {
      if (++calls === 1) throw new Error('disk full');
    });
    await online(t);
    const first = jest.fn();
    t.socket().send('groupChatMessage', { ...delivered('m1'), groupId: 'g'.repeat(24) }, first);
    await jest.advanceTimersByTimeAsync(0);
    expect([first.mock.calls.length, t.errors.map((e) => e.message)]).toEqual([0, ['disk full']]);
    const second = jest.fn();
    t.socket().send('groupChatMessage', { ...delivered('m1'), groupId: 'g'.repeat(24) }, second);
    await jest.advanceTimersByTimeAsync(0);
    expect([calls, second.mock.calls.length]).toEqual([2, 1]);
  });

  it('drops redeliveries by id (acking them), even while the first is still being handled', async () => {
    const t = setup();
    const handled: string[] = [];
    let finish!: () => void;
    t.client.on('contactChatMessage', async (m) => {
      handled.push(m.id);
      if (m.id === 'm1') await new Promise<void>((resolve) => (finish = resolve));
    });
    await online(t);
    const acks = [jest.fn(), jest.fn(), jest.fn(), jest.fn()];
    t.socket().send('contactChatMessage', delivered('m1'), acks[0]);
    t.socket().send('contactChatMessage', delivered('m1'), acks[1]); // while m1 is pending
    t.socket().send('contactChatMessage', delivered('m2'), acks[2]);
    await jest.advanceTimersByTimeAsync(0);
    expect(acks.map((a) => a.mock.calls.length)).toEqual([0, 0, 1, 0]);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    t.socket().send('contactChatMessage', delivered('m1'), acks[3]); // after it was handled
    await jest.advanceTimersByTimeAsync(0);
    expect([handled, acks.map((a) => a.mock.calls.length)]).toEqual([
      ['m1', 'm2'],
      [1, 1, 1, 1],
    ]);
  });

  it('does not acknowledge messages nobody handles, and passes other events to their handlers', async () => {
    const t = setup();
    const online$: string[] = [];
    t.client.on('online', ({ email }) => void online$.push(email));
    await online(t);
    const ack = jest.fn();
    t.socket().send('contactChatMessage', delivered('m1'), ack);
    t.socket().send('online', { email: 'bob@example.com' });
    await jest.advanceTimersByTimeAsync(0);
    expect([ack.mock.calls.length, online$, t.errors.map((e) => e.message)]).toEqual([
      0,
      ['bob@example.com'],
      ['no handler for contactChatMessage: left unacknowledged'],
    ]);
  });

  it('acknowledges messagesDropped once its handler resolved, never without one', async () => {
    const t = setup();
    const counts: number[] = [];
    await online(t);
    const unhandled = jest.fn();
    t.socket().send('messagesDropped', { count: 3 }, unhandled);
    const stop = t.client.on('messagesDropped', ({ count }) => void counts.push(count));
    const handled = jest.fn();
    t.socket().send('messagesDropped', { count: 3 }, handled);
    await jest.advanceTimersByTimeAsync(0);
    stop();
    expect([unhandled.mock.calls.length, handled.mock.calls.length, counts]).toEqual([0, 1, [3]]);
    expect(t.errors.map((e) => e.message)).toEqual([
      'no handler for messagesDropped: left unacknowledged',
    ]);
  });
});

describe('BowlClient requests', () => {
  it('queues requests while offline and sends them in order once online', async () => {
    const t = setup();
    await t.client.login('alice@example.com', 'password1234');
    const first = t.client.request('contactChatMessage', { ...MESSAGE, message: 'one' });
    const second = t.client.request('sendContactRequest', { email: 'carol@example.com' });
    const connected = t.client.connect();
    await jest.advanceTimersByTimeAsync(0);
    expect(t.socket().emitted).toEqual([]);
    t.socket().accept();
    await connected;
    // One at a time: the second waits for the first's ack.
    expect(t.socket().emitted.map((e) => e.event)).toEqual(['contactChatMessage']);
    const { clientMessageId } = t.socket().emitted[0].payload;
    expect(clientMessageId).toMatch(/^[0-9a-f-]{36}$/);
    t.socket().emitted[0].answer({ status: 'OK', id: 'id1', sentAt: 'now' });
    await jest.advanceTimersByTimeAsync(0);
    expect(t.socket().emitted.map((e) => e.event)).toEqual([
      'contactChatMessage',
      'sendContactRequest',
    ]);
    const contactData = { name: 'Carol', email: 'carol@example.com', publicKey: 'k' };
    t.socket().emitted[1].answer({ status: 'OK', contactData });
    expect(await first).toEqual({ status: 'OK', id: 'id1', sentAt: 'now' });
    expect(await second).toEqual({ status: 'OK', contactData });
  });

  it('resends a chat message with the same clientMessageId after a drop; other requests fail', async () => {
    const t = setup();
    await online(t);
    const message = t.client.request('contactChatMessage', { ...MESSAGE, message: 'x' });
    const group = t.client.request('createGroup', { name: 'G', encryptedGroupKey: 'a2V5' });
    await jest.advanceTimersByTimeAsync(0);
    const before = t.socket().sent('contactChatMessage')[0].payload.clientMessageId;
    t.socket().drop();
    await expect(group).rejects.toThrow(ConnectionLostError);
    expect(t.statuses.at(-1)).toBe('offline');
    await jest.advanceTimersByTimeAsync(1000); // the first retry comes within minMs
    t.socket().accept();
    await jest.advanceTimersByTimeAsync(0);
    const resent = t.socket().sent('contactChatMessage');
    expect(resent.map((e) => e.payload.clientMessageId)).toEqual([before, before]);
    resent[1].answer({ status: 'OK', id: 'id1', sentAt: 'now' });
    // The ack of the first attempt, if it ever came, no longer counts.
    resent[0].answer({ status: 'ERROR', error: 'late', code: 'internal' });
    expect(await message).toEqual({ status: 'OK', id: 'id1', sentAt: 'now' });
  });

  it('resends a chat message whose ack is late, and times out other requests', async () => {
    const t = setup();
    await online(t);
    const message = t.client.request('groupChatMessage', {
      groupId: 'g'.repeat(24),
      date: '01/12/2026',
      time: '12:00',
      messageType: 'text',
      message: 'x',
      clientMessageId: 'mine-1',
    });
    const leave = t.client.request('leaveGroup', { groupId: 'g'.repeat(24) }).catch((e) => e);
    await jest.advanceTimersByTimeAsync(5000);
    expect(await leave).toEqual(new RequestTimeoutError('leaveGroup', 5000));
    const sent = t.socket().sent('groupChatMessage');
    expect(sent.map((e) => e.payload.clientMessageId)).toEqual(['mine-1', 'mine-1']);
    sent[1].answer({ status: 'OK', id: 'id9', sentAt: 'now' });
    expect(await message).toEqual({ status: 'OK', id: 'id9', sentAt: 'now' });
  });

  it('turns ERROR acks into a typed error per code, with a generic fallback', async () => {
    const t = setup();
    await online(t);
    // Every code has its class (errors.spec.ts checks them against the protocol document).
    const classes = {
      validation: ValidationError,
      not_a_contact: NotAContactError,
      group_full: GroupFullError,
      rate_limited: RateLimitedError,
      internal: InternalError,
      something_new: RequestError,
    };
    for (const [code, ErrorClass] of Object.entries(classes)) {
      const request = t.client.request('removeContact', { email: 'bob@example.com' });
      await jest.advanceTimersByTimeAsync(0);
      const ack = {
        status: 'ERROR',
        error: `refused: ${code}`,
        code,
        retryAfterMs: 1500,
        ref: 'ab12cd34',
      };
      t.socket().emitted.at(-1)!.answer(ack);
      const err = (await request.catch((e: unknown) => e)) as RequestError;
      expect([code, err.constructor, err.code, err.message, err.ack]).toEqual([
        code,
        ErrorClass,
        code,
        `refused: ${code}`,
        ack,
      ]);
      expect([err.retryAfterMs, err.ref]).toEqual([1500, 'ab12cd34']);
    }
  });
});

describe('BowlClient connection', () => {
  it('reconnects with doubling, randomised delays, and resets them once connected', async () => {
    const t = setup();
    jest.spyOn(Math, 'random').mockReturnValue(0); // the bottom of each range: half the ceiling
    await online(t);
    const retries: number[] = [];
    t.client.onStatus((s) => void (s.state === 'offline' && retries.push(s.retryInMs)));
    t.socket().drop();
    for (let i = 0; i < 5; i++) {
      await jest.advanceTimersByTimeAsync(retries.at(-1)!);
      t.socket().refuse('xhr poll error');
    }
    expect(retries).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(t.socket().connects).toBe(6);
    await jest.advanceTimersByTimeAsync(4000);
    t.socket().accept();
    t.socket().drop();
    expect(retries.at(-1)).toBe(500);
    jest.spyOn(Math, 'random').mockRestore();
  });

  it('waits as long as the server says when it refuses a connection as rate limited', async () => {
    const t = setup();
    jest.spyOn(Math, 'random').mockReturnValue(0);
    await online(t);
    const retries: number[] = [];
    t.client.onStatus((s) => void (s.state === 'offline' && retries.push(s.retryInMs)));
    t.socket().drop();
    await jest.advanceTimersByTimeAsync(500);
    const refusal = Object.assign(new Error('rate limited'), {
      data: { code: 'rate_limited', retryAfterMs: 7000 },
    });
    t.socket().refuse(refusal);
    await jest.advanceTimersByTimeAsync(6999);
    expect([retries, t.socket().connects]).toEqual([[500, 7000], 2]);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.socket().connects).toBe(3);
    jest.spyOn(Math, 'random').mockRestore();
  });

  it('ends the session on sessionEnded "password changed" and rejects what waits', async () => {
    const t = setup();
    await online(t);
    t.socket().drop();
    const queued = t.client.request('contactChatMessage', { ...MESSAGE, message: 'x' });
    await jest.advanceTimersByTimeAsync(1000);
    t.socket().accept();
    t.socket().send('sessionEnded', { reason: 'password changed' });
    await expect(queued).rejects.toThrow(new SessionEndedError('password changed'));
    t.socket().drop('io server disconnect');
    await jest.advanceTimersByTimeAsync(60_000);
    expect([t.statuses.at(-1), t.socket().connects, t.socket().connected]).toEqual([
      'ended: password changed',
      2,
      false,
    ]);
    await expect(t.client.request('removeContact', { email: 'b@example.com' })).rejects.toThrow(
      SessionEndedError,
    );
  });

  it('reconnects after sessionEnded "server shutting down"', async () => {
    const t = setup();
    await online(t);
    t.socket().send('sessionEnded', { reason: 'server shutting down' });
    t.socket().drop('io server disconnect');
    await jest.advanceTimersByTimeAsync(1000);
    expect([t.statuses.slice(-2), t.socket().connects]).toEqual([['offline', 'connecting'], 2]);
  });

  it('resends chat messages a draining server refused, in order, on the next connection', async () => {
    const t = setup();
    await online(t);
    const first = t.client.request('contactChatMessage', { ...MESSAGE, message: 'm1' });
    const second = t.client.request('contactChatMessage', { ...MESSAGE, message: 'm2' });
    await jest.advanceTimersByTimeAsync(0);
    t.socket().send('sessionEnded', { reason: 'server shutting down' });
    const refusal = {
      status: 'ERROR',
      error: 'server shutting down',
      code: 'server_shutting_down',
    };
    const [m1, m2] = t.socket().sent('contactChatMessage');
    m2.answer(refusal);
    m1.answer({ status: 'OK', id: 'id1', sentAt: 'now' });
    const third = t.client.request('contactChatMessage', { ...MESSAGE, message: 'm3' });
    await jest.advanceTimersByTimeAsync(0);
    expect(t.socket().sent('contactChatMessage')).toHaveLength(2); // m3 waits, m2 is not resent
    expect(await first).toEqual({ status: 'OK', id: 'id1', sentAt: 'now' });

    t.socket().drop('io server disconnect');
    await jest.advanceTimersByTimeAsync(1000);
    t.socket().accept();
    await jest.advanceTimersByTimeAsync(0);
    const again = t.socket().sent('contactChatMessage').slice(2);
    expect(again.map((e) => e.payload.message)).toEqual(['m2']); // one at a time, in order
    expect(again[0].payload.clientMessageId).toBe(m2.payload.clientMessageId);
    again[0].answer({ status: 'OK', id: 'id2', sentAt: 'now' });
    await jest.advanceTimersByTimeAsync(0);
    const last = t.socket().sent('contactChatMessage').slice(3);
    expect(last.map((e) => e.payload.message)).toEqual(['m3']);
    last[0].answer({ status: 'OK', id: 'id3', sentAt: 'now' });
    expect([await second, await third]).toEqual([
      { status: 'OK', id: 'id2', sentAt: 'now' },
      { status: 'OK', id: 'id3', sentAt: 'now' },
    ]);
  });

  it('ends the session when the token is refused and there is no refresh token', async () => {
    const t = setup();
    await t.client.login('alice@example.com', 'password1234');
    const connected = t.client.connect();
    await jest.advanceTimersByTimeAsync(0);
    t.socket().refuse('unauthorized');
    await expect(connected).rejects.toThrow(new SessionEndedError('unauthorized'));
  });
});

describe('BowlClient tokens', () => {
  const tokens = (n: number, expiresIn = 120) => ({
    accessToken: `a${n}`,
    refreshToken: `r${n}`,
    expiresIn,
  });

  it('refreshes before expiry, rotating refresh tokens, and moves the socket with renewToken', async () => {
    const t = setup({
      '/auth/login': [[200, tokens(1)]],
      '/auth/refresh': [
        [200, tokens(2)],
        [200, tokens(3)],
      ],
    });
    await online(t);
    expect(t.socket().handshakes).toEqual(['a1']);
    await jest.advanceTimersByTimeAsync(59_000);
    expect(t.http.calls.map((c) => c.path)).toEqual(['/auth/login']);
    await jest.advanceTimersByTimeAsync(1000); // 60 s before the 120 s expiry
    expect(t.http.calls.at(-1)).toEqual({ path: '/auth/refresh', body: { refreshToken: 'r1' } });
    expect(
      t
        .socket()
        .sent('renewToken')
        .map((e) => e.payload),
    ).toEqual([{ token: 'a2' }]);
    t.socket().sent('renewToken')[0].answer({ status: 'OK', expiresIn: 120 });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.http.calls.at(-1)).toEqual({ path: '/auth/refresh', body: { refreshToken: 'r2' } });
    expect(
      t
        .socket()
        .sent('renewToken')
        .map((e) => e.payload),
    ).toEqual([{ token: 'a2' }, { token: 'a3' }]);
    // A later handshake uses the newest token.
    t.socket().drop();
    await jest.advanceTimersByTimeAsync(1000);
    expect(t.socket().handshakes).toEqual(['a1', 'a3']);
  });

  it('keeps refreshing after close() and connect()', async () => {
    const t = setup({
      '/auth/login': [[200, tokens(1)]],
      '/auth/refresh': [[200, tokens(2)]],
    });
    await online(t);
    t.client.close();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(t.http.calls.map((c) => c.path)).toEqual(['/auth/login']);
    const connected = t.client.connect();
    await jest.advanceTimersByTimeAsync(0);
    t.socket().accept();
    await connected;
    await jest.advanceTimersByTimeAsync(30_000); // 60 s before the 120 s expiry
    expect(t.http.calls.map((c) => c.path)).toEqual(['/auth/login', '/auth/refresh']);
    expect(
      t
        .socket()
        .sent('renewToken')
        .map((e) => e.payload),
    ).toEqual([{ token: 'a2' }]);
  });

  it('never refreshes when the server issues no refresh token', async () => {
    const t = setup({ '/auth/login': [[200, { accessToken: 'a1' }]] });
    await online(t);
    await jest.advanceTimersByTimeAsync(24 * 3600_000);
    expect([t.http.calls.length, t.socket().sent('renewToken')]).toEqual([1, []]);
  });

  it('on a refused handshake or sessionEnded "token expired", refreshes and reconnects', async () => {
    const t = setup({
      '/auth/login': [[200, tokens(1, 3600)]],
      '/auth/refresh': [
        [200, tokens(2, 3600)],
        [200, tokens(3, 3600)],
      ],
    });
    await online(t);
    t.socket().send('sessionEnded', { reason: 'token expired' });
    t.socket().drop('io server disconnect');
    await jest.advanceTimersByTimeAsync(1000);
    t.socket().refuse('unauthorized');
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.http.calls.map((c) => c.body.refreshToken)).toEqual([undefined, 'r1', 'r2']);
    expect(t.socket().handshakes).toEqual(['a1', 'a2', 'a3']);
  });

  it('ends the session when the refresh token is refused', async () => {
    const t = setup({
      '/auth/login': [[200, tokens(1)]],
      '/auth/refresh': [[401, { statusCode: 401, message: 'invalid refresh token' }]],
    });
    await online(t);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.statuses.at(-1)).toBe('ended: refresh token refused');
    expect(t.socket().connected).toBe(false);
  });

  it('reconnects when the server refuses renewToken', async () => {
    const t = setup({
      '/auth/login': [[200, tokens(1)]],
      '/auth/refresh': [[200, tokens(2)]],
    });
    await online(t);
    await jest.advanceTimersByTimeAsync(60_000);
    t.socket()
      .sent('renewToken')[0]
      .answer({ status: 'ERROR', error: 'unauthorized', code: 'unauthorized' });
    await jest.advanceTimersByTimeAsync(1000);
    expect([t.statuses.slice(-2), t.socket().handshakes]).toEqual([
      ['offline', 'connecting'],
      ['a1', 'a2'],
    ]);
  });
});

describe('AuthApi errors', () => {
  it('raises HttpError with the body message and code, and Retry-After as retryAfterMs', async () => {
    const t = setup({
      '/auth/login': [
        [401, { statusCode: 401, message: 'wrong email or password', code: 'unauthorized' }],
        [429, { statusCode: 429, message: 'rate limited' }, { 'retry-after': '7' }],
      ],
    });
    const wrong = await t.client.login('a@example.com', 'x').catch((e: unknown) => e);
    expect(wrong).toEqual(new HttpError(401, 'unauthorized', 'wrong email or password'));
    const limited = (await t.client
      .login('a@example.com', 'x')
      .catch((e: unknown) => e)) as HttpError;
    expect([limited.status, limited.code, limited.message, limited.retryAfterMs]).toEqual([
      429,
      'http_429',
      'rate limited',
      7000,
    ]);
  });
});
