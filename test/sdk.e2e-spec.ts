import { Socket } from 'socket.io-client';
import {
  AuthApi,
  decryptMessage,
  NotAContactError,
  RateLimitedError,
  SessionEndedError,
  SocketLike,
  UserNotFoundError,
  ValidationError,
} from '@app/sdk';
import { postJson } from './support/clients';
import { waitUntil } from './support/expect';
import {
  chatMessage,
  cutNetwork,
  nextStatus,
  PASSWORD,
  sdkGateway,
  send,
  text,
} from './support/sdk-people';

/**
 * The SDK's BowlClient against the built gateway (a real process) on PostgreSQL, over real
 * sockets: acks after the app's handler, dedupe of redeliveries, the offline queue and resends
 * with the same clientMessageId (after a lost answer and across a gateway restart), typed errors
 * for the server's refusals, and sessions the server ends. Network losses are made by closing the
 * client's transport. test/sdk-tokens.e2e-spec.ts covers token refresh and expiry.
 */

/** Loses the answer to the first `event` it sends, cutting the network when the answer arrives. */
function losingFirstAnswerTo(event: string) {
  let lost = false;
  return (socket: Socket): SocketLike =>
    interceptEmit(socket, (name, args) => {
      if (name !== event || lost) return args;
      lost = true;
      return [...args.slice(0, -1), () => cutNetwork(socket)];
    });
}

/** The socket, with what the SDK emits passed through `change` (payload and ack callback). */
function interceptEmit(
  socket: Socket,
  change: (event: string, args: unknown[]) => unknown[],
): SocketLike {
  return {
    get connected() {
      return socket.connected;
    },
    connect: () => socket.connect(),
    disconnect: () => socket.disconnect(),
    on: socket.on.bind(socket),
    onAny: socket.onAny.bind(socket),
    emit: (name: string, ...args: unknown[]) => socket.emit(name, ...change(name, args)),
  };
}

/** Contact requests one user may send per hour here: low, so that the limit can be reached. */
const CONTACT_REQUESTS_PER_HOUR = 3;

describe('SDK BowlClient against the gateway', () => {
  const t = sdkGateway({ RATE_LIMIT_CONTACT_REQUESTS: `${CONTACT_REQUESTS_PER_HOUR}/1h` });
  const people = t.people;

  it('acknowledges only after the handler resolved: unfinished messages come again', async () => {
    const { alice, bob, bobKey } = await people.contacts();
    let release!: () => void;
    const seen: string[] = [];
    bob.client.on('contactChatMessage', async (m) => {
      seen.push(text(await decryptMessage(bob.keys.privateKey, m.message)));
      await new Promise<void>((resolve) => (release = resolve));
    });
    await send(alice, bob.email, bobKey, 'first');
    await waitUntil(() => seen.length === 1, 'the handler to start');
    bob.client.close(); // the app never finished with it: no ack

    const later = people.newClient([]);
    later.useSession({ accessToken: bob.token });
    const redelivered: string[] = [];
    later.on('contactChatMessage', async (m) => {
      redelivered.push(text(await decryptMessage(bob.keys.privateKey, m.message)));
    });
    await later.connect();
    await waitUntil(() => redelivered.length === 1, 'the redelivery');
    release();
    later.close();
    // Acknowledged this time: a fresh socket's queue starts after it.
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect([seen, redelivered, await people.queueUpTo(bob, sentinel.id)]).toEqual([
      ['first'],
      ['first'],
      [sentinel.id],
    ]);
  });

  it('hands a message redelivered after a lost ack to the app once, and acknowledges it', async () => {
    const delivered: string[] = []; // what reached Bob's transport
    const { alice, bob, bobKey } = await people.contacts(undefined, (socket) => {
      socket.on('contactChatMessage', (m: { id: string }) => delivered.push(m.id));
      return socket;
    });
    const handled: string[] = [];
    bob.client.on('contactChatMessage', async (m) => {
      handled.push(m.id);
      if (handled.length > 1) return;
      // The network fails before the ack can leave; the app finishes meanwhile.
      const offline = new Promise<void>((resolve) => {
        const stop = bob.client.onStatus(
          (s) => void (s.state === 'offline' && (stop(), resolve())),
        );
      });
      cutNetwork(bob.sockets[0]);
      await offline;
    });
    const sent = await send(alice, bob.email, bobKey, 'once');
    const next = await send(alice, bob.email, bobKey, 'next');
    await waitUntil(() => handled.includes(next.id), 'the next message');
    bob.client.close();
    // Delivered twice, handled once, acknowledged: a fresh socket's queue starts after both.
    expect([delivered, handled]).toEqual([
      [sent.id, sent.id, next.id],
      [sent.id, next.id],
    ]);
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect(await people.queueUpTo(bob, sentinel.id)).toEqual([sentinel.id]);
  });

  it('resends with the same clientMessageId after a lost answer, and queues sends while offline', async () => {
    const { alice, bob, bobKey } = await people.contacts(losingFirstAnswerTo('contactChatMessage'));
    bob.client.close();
    const statuses: string[] = [];
    alice.client.onStatus((s) => statuses.push(s.state));
    const [one, two] = await Promise.all([
      chatMessage(bob.email, bobKey, 'one'),
      chatMessage(bob.email, bobKey, 'two'),
    ]);
    // The second is sent the moment the first one's connection is lost: it waits in the queue.
    const second = new Promise((resolve) => {
      const stop = alice.client.onStatus((s) => {
        if (s.state !== 'offline') return;
        stop();
        resolve(alice.client.request('contactChatMessage', two));
      });
    });
    // The first is stored, but its answer is lost with the network.
    const first = alice.client.request('contactChatMessage', one);
    const [firstAck, secondAck] = (await Promise.all([first, second])) as { id: string }[];
    expect(statuses.slice(0, 3)).toEqual(['offline', 'connecting', 'online']);
    // Stored once each, in order: the resend got back the first id.
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect(await people.queueUpTo(bob, sentinel.id)).toEqual([
      firstAck.id,
      secondAck.id,
      sentinel.id,
    ]);
  });

  it('surfaces ERROR acks as typed errors, and stays connected', async () => {
    const alice = await people.register('alice');
    const stranger = await people.register('stranger');
    await alice.client.connect();
    const refusal = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'accepted',
        (e: Error & { code?: string }) => [e.constructor, e.code, e.message],
      );
    expect([
      await refusal(alice.client.request('sendContactRequest', { email: 'not an email' })),
      await refusal(alice.client.request('sendContactRequest', { email: 'nobody@example.com' })),
      await refusal(send(alice, stranger.email, stranger.keys.publicKey, 'hi')),
    ]).toEqual([
      [ValidationError, 'validation', 'email must be a valid email address'],
      [UserNotFoundError, 'user_not_found', 'no user with that email'],
      [NotAContactError, 'not_a_contact', 'recipient is not a contact'],
    ]);
    expect([alice.client.state, alice.sockets.length]).toEqual(['online', 1]);
  });

  it('surfaces a rate limit as RateLimitedError with the wait the server asks for', async () => {
    const alice = await people.register('alice');
    await alice.client.connect();
    const ask = (n: number) =>
      alice.client.request('sendContactRequest', { email: `nobody${n}@example.com` });
    for (let n = 0; n < CONTACT_REQUESTS_PER_HOUR; n++) {
      await expect(ask(n)).rejects.toThrow(UserNotFoundError);
    }
    const limited = (await ask(CONTACT_REQUESTS_PER_HOUR).catch((e: unknown) => e)) as Error & {
      retryAfterMs: number;
      code: string;
    };
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect([limited.code, limited.message]).toEqual(['rate_limited', 'rate limited']);
    // The next one is allowed once a third of the hour has been refilled (less the time spent).
    const refillMs = 3_600_000 / CONTACT_REQUESTS_PER_HOUR;
    expect(limited.retryAfterMs).toBeLessThanOrEqual(refillMs);
    expect(limited.retryAfterMs).toBeGreaterThan(refillMs - 60_000);
    expect(alice.client.state).toBe('online');
  });

  it('ends the session on sessionEnded "logged out" when the session is logged out elsewhere', async () => {
    const { alice, bob, bobKey } = await people.contacts();
    const statuses: string[] = [];
    alice.client.onStatus((s) =>
      statuses.push(s.state === 'ended' ? `ended: ${s.reason}` : s.state),
    );
    await new AuthApi(t.gateway.url).logout(alice.session.refreshToken!);
    await waitUntil(() => alice.client.state === 'ended', 'the session to end');
    await expect(send(alice, bob.email, bobKey, 'too late')).rejects.toEqual(
      new SessionEndedError('logged out'),
    );
    await expect(alice.client.connect()).rejects.toEqual(new SessionEndedError('logged out'));
    expect([statuses, alice.sockets.length, alice.sockets[0].connected]).toEqual([
      ['ended: logged out'],
      1,
      false,
    ]);
    expect(bob.client.state).toBe('online');
  });

  it('ends the session on sessionEnded "password changed"', async () => {
    const alice = await people.register('alice');
    await alice.client.connect();
    const ended = nextStatus(alice.client, 'ended');
    const change = await postJson(
      t.gateway.url,
      '/auth/password',
      { currentPassword: PASSWORD, newPassword: 'a brand new secret' },
      { authorization: `Bearer ${alice.token}` },
    );
    expect(change.status).toBe(204);
    await ended;
    await expect(alice.client.connect()).rejects.toEqual(new SessionEndedError('password changed'));
  });

  it('resends with the same clientMessageId across a gateway restart, then what was queued meanwhile', async () => {
    // Alice's first message is stored, but its answer never reaches her SDK.
    const sent: { clientMessageId: string }[] = [];
    let withheld: { id: string } | undefined;
    const { alice, bob, bobKey } = await people.contacts((socket) =>
      interceptEmit(socket, (event, args) => {
        if (event !== 'contactChatMessage') return args;
        sent.push(args[0] as { clientMessageId: string });
        if (sent.length > 1) return args;
        return [args[0], (ack: { id: string }) => (withheld = ack)];
      }),
    );
    bob.client.close();
    const first = alice.client.request(
      'contactChatMessage',
      await chatMessage(bob.email, bobKey, 'before the restart'),
    );
    await waitUntil(() => withheld !== undefined, 'the first message to be stored');

    const offline = nextStatus(alice.client, 'offline');
    const restarted = t.restart();
    await offline;
    const second = alice.client.request(
      'contactChatMessage',
      await chatMessage(bob.email, bobKey, 'while the gateway was down'),
    );
    await restarted;
    const [firstAck, secondAck] = await Promise.all([first, second]);

    // The resend got back the id the server gave the first attempt: stored once.
    expect(firstAck.id).toBe(withheld!.id);
    const ids = sent.map((m) => m.clientMessageId);
    expect(ids).toEqual([ids[0], ids[0], ids[2]]);
    expect(ids[2]).not.toBe(ids[0]);
    const sentinel = await send(alice, bob.email, bobKey, 'sentinel');
    expect(await people.queueUpTo(bob, sentinel.id)).toEqual([
      firstAck.id,
      secondAck.id,
      sentinel.id,
    ]);
  });
});
