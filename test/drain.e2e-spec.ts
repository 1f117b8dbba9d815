import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { connectError, emitAck, registerUser, TestUser, uniqueEmail } from './support/clients';
import { makeContacts, makeGroup } from './support/chat';
import { waitUntil } from './support/expect';
import { connectRecording, Fleet, startFleet } from './support/fleet';
import { onlineChatsOf } from './support/fleet-suite';
import { startGateway } from './support/gateway-process';

/**
 * A rolling restart's worth of one instance: two gateway processes, clients on A sending without
 * pause (several sends in flight at any time) while A gets SIGTERM, clients on B receiving.
 */
const SEND_EVERY_MS = 10;
const BURST = 10;
const SHUTDOWN_GRACE_MS = 25_000;

interface Send {
  sentAt: number;
  answeredAt?: number;
  outcome?: 'OK' | 'ERROR';
  code?: string;
  id?: string;
}

/**
 * Emits `event` every SEND_EVERY_MS without waiting for the acks, until the socket is told
 * `sessionEnded` (as a well-behaved client does) or stop() is called; records every answer.
 */
function keepSending(socket: Socket, event: string, payload: (n: number) => object) {
  const sends: Send[] = [];
  let told = false;
  socket.on('sessionEnded', () => (told = true));
  const sendOne = () => {
    if (told || !socket.connected) return;
    const send: Send = { sentAt: Date.now() };
    sends.push(send);
    socket.emit(event, payload(sends.length), (ack: Record<string, string>) => {
      send.answeredAt = Date.now();
      send.outcome = ack.status === 'OK' ? 'OK' : 'ERROR';
      send.code = ack.code;
      send.id = ack.id;
    });
  };
  const timer = setInterval(sendOne, SEND_EVERY_MS);
  const sender = {
    sends,
    /** `count` sends at once, on top of the steady ones. */
    burst: (count: number) => Array.from({ length: count }).forEach(sendOne),
    stop: () => clearInterval(timer),
  };
  senders.push(sender);
  return sender;
}

const text = (message: string) => ({
  date: '01/12/2026',
  time: '10:00',
  messageType: 'text',
  message,
});

/** The order in which a socket was told sessionEnded and disconnected. */
function endings(socket: Socket): string[] {
  const seen: string[] = [];
  socket.on('sessionEnded', (p: { reason: string }) => seen.push(`sessionEnded ${p.reason}`));
  socket.on('disconnect', (reason) => seen.push(`disconnect ${reason}`));
  return seen;
}

/** Every sender's timer, stopped after the test whatever happened. */
const senders: { stop(): void }[] = [];

describe('graceful drain of one instance of two (SIGTERM)', () => {
  let fleet: Fleet;
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(s: T): T => (open.push(s), s);

  beforeAll(async () => {
    fleet = await startFleet(2, {
      RATE_LIMIT_MESSAGES: 'off',
      RATE_LIMIT_SOCKET_EVENTS: 'off',
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    });
  }, 60_000);
  afterAll(async () => {
    for (const s of senders) s.stop();
    for (const s of open) s.close();
    await fleet?.stop();
  }, 60_000);

  const register = (name: string) =>
    registerUser(fleet.gateways[1].url, { name, email: uniqueEmail(name), sharedKeys: true });
  const on = async (url: string, user: TestUser) => track(await connectRecording(url, user.token));

  it('answers what is in flight, loses nothing OK’d, releases presence and exits 0', async () => {
    const [A, B] = fleet.gateways;
    const [a1, a2, b1, b2] = await Promise.all(['A1', 'A2', 'B1', 'B2'].map(register));
    const sa1 = await on(A.url, a1);
    const sa2 = await on(A.url, a2);
    const sb1 = await on(B.url, b1);
    const sb2 = await on(B.url, b2);
    await makeContacts(sa1.socket, sb1.socket, a1.email, b1.email);
    await makeContacts(sa2.socket, sb1.socket, a2.email, b1.email);
    await makeContacts(sa2.socket, sb2.socket, a2.email, b2.email);
    const groupId = await makeGroup(sa2.socket, [
      { email: b1.email, socket: sb1.socket },
      { email: b2.email, socket: sb2.socket },
    ]);
    const endingsOnA = [endings(sa1.socket), endings(sa2.socket)];

    // Traffic: A1 → B1 and A2 → the group from A; B1 → A1 from B, throughout.
    const toB1 = keepSending(sa1.socket, 'contactChatMessage', (n) => ({
      ...text(`a1:${n}`),
      to: b1.email,
    }));
    const toGroup = keepSending(sa2.socket, 'groupChatMessage', (n) => ({
      ...text(`a2:${n}`),
      groupId,
    }));
    const toA1 = keepSending(sb1.socket, 'contactChatMessage', (n) => ({
      ...text(`b1:${n}`),
      to: a1.email,
    }));
    await waitUntil(() => toB1.sends.length >= 50 && toGroup.sends.length >= 50, 'traffic flows');

    // Sends certainly in flight when the signal comes: emitted just before it.
    toB1.burst(BURST);
    toGroup.burst(BURST);
    const inFlight = [...toB1.sends, ...toGroup.sends].filter((s) => !s.outcome);
    const signalledAt = Date.now();
    A.child.kill('SIGTERM');

    // Once A's sockets are told, A refuses new sockets and is not ready, yet still answers HTTP.
    await sa1.waitFor('sessionEnded');
    expect(await sa1.waitFor('sessionEnded')).toEqual({ reason: 'server shutting down' });
    const probes = {
      ready: (await fetch(`${A.url}/health/ready`)).status,
      live: (await fetch(`${A.url}/health/live`)).status,
      newSocket: await connectError(A.url, a1.token),
    };
    expect(probes).toEqual({ ready: 503, live: 200, newSocket: 'server shutting down' });

    expect(await A.exited).toBe(0);
    const exitedAfterMs = Date.now() - signalledAt;
    toB1.stop();
    toGroup.stop();
    expect(exitedAfterMs).toBeLessThan(SHUTDOWN_GRACE_MS);
    for (const seen of endingsOnA) {
      expect(seen).toEqual([
        'sessionEnded server shutting down',
        'disconnect io server disconnect',
      ]);
    }

    // Presence was released by A itself: B's users heard `offline`, B never reaped A.
    for (const gone of [a1, a2]) {
      await sb1.waitFor('offline', (p) => p.email === gone.email, 5_000);
    }
    await sb2.waitFor('offline', (p) => p.email === a2.email, 5_000);
    const view = await onlineChatsOf(await on(B.url, b1));
    expect(view.contacts).toEqual([]);
    expect(view.groups).toEqual([{ groupId, persons: [b2.email] }]);
    expect(B.output()).not.toContain('stopped heartbeating');

    // Everything sent from A was answered; every OK'd send reaches its recipients.
    toA1.stop();
    await waitUntil(() => toA1.sends.every((s) => s.outcome), 'B1’s sends are answered');
    const fromA = [...toB1.sends, ...toGroup.sends];
    const unanswered = fromA.filter((s) => !s.outcome);
    expect(unanswered).toEqual([]);
    expect(fromA.filter((s) => s.outcome === 'ERROR').map((s) => s.code)).toEqual(
      fromA.filter((s) => s.outcome === 'ERROR').map(() => 'server_shutting_down'),
    );

    const ra1 = await on(B.url, a1);
    // A1 acknowledged some of B1's messages on A before it stopped, and gets the rest on B.
    const expected = [
      { sockets: [sb1], sends: toB1.sends, event: 'contactChatMessage' },
      { sockets: [sb1], sends: toGroup.sends, event: 'groupChatMessage' },
      { sockets: [sb2], sends: toGroup.sends, event: 'groupChatMessage' },
      { sockets: [sa1, ra1], sends: toA1.sends, event: 'contactChatMessage' },
    ];
    const missing = () =>
      expected.flatMap(({ sockets, sends, event }) => {
        const got = new Set(sockets.flatMap((socket) => socket.all(event).map((m) => m.id)));
        return sends.filter((s) => s.outcome === 'OK' && !got.has(s.id)).map((s) => s.id);
      });
    await waitUntil(() => missing().length === 0, 'every OK’d message is delivered', 15_000).catch(
      () => undefined,
    );
    const lost = missing();
    const okd = (sends: Send[]) => sends.filter((s) => s.outcome === 'OK').length;
    console.log(
      `drain: A exited 0 in ${exitedAfterMs} ms; sends from A: ${fromA.length} ` +
        `(OK ${okd(fromA)}, ERROR ${fromA.length - okd(fromA)}), in flight at SIGTERM ` +
        `${inFlight.length} (OK ${okd(inFlight)}, ERROR ${inFlight.length - okd(inFlight)}), ` +
        `unanswered ${unanswered.length}; sends from B: ${toA1.sends.length} (OK ${okd(toA1.sends)}); ` +
        `lost ${lost.length}`,
    );
    expect(lost).toEqual([]);
    expect(inFlight.length).toBeGreaterThanOrEqual(2 * BURST);
  }, 60_000);

  it('with DRAIN_DELAY_MS, is unready first while it still serves sockets, then drains', async () => {
    const D = await startGateway({ ...fleet.env, DRAIN_DELAY_MS: '3000' });
    const [d1, d2] = await Promise.all(['D1', 'D2'].map(register));
    const sd1 = await on(D.url, d1);
    const signalledAt = Date.now();
    D.child.kill('SIGTERM');
    await waitUntil(async () => (await fetch(`${D.url}/health/ready`)).status === 503, 'unready');
    const during = {
      live: (await fetch(`${D.url}/health/live`)).status,
      event: (await emitAck(sd1.socket, 'createGroup', { name: 'G', encryptedGroupKey: 'a2V5' }))
        .status,
      newSocket: await connectError(D.url, d2.token),
      told: sd1.all('sessionEnded'),
    };
    expect(during).toEqual({ live: 200, event: 'OK', newSocket: 'connected', told: [] });
    await sd1.waitFor('sessionEnded');
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(3000);
    expect(await D.exited).toBe(0);
  }, 60_000);

  it('when the grace runs out, says what it was waiting for and exits 1', async () => {
    const C = await startGateway({ ...fleet.env, SHUTDOWN_GRACE_MS: '1000' });
    const [c1, c2] = await Promise.all(['C1', 'C2'].map(register));
    const [sc1, sc2] = [await on(C.url, c1), await on(C.url, c2)];
    await makeContacts(sc1.socket, sc2.socket, c1.email, c2.email);
    // A send that cannot finish: its table is locked by another transaction.
    const blocker = new Client({ connectionString: fleet.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE messages IN ACCESS EXCLUSIVE MODE');
      sc1.socket.emit('contactChatMessage', { ...text('stuck'), to: c2.email }, () => undefined);
      await waitUntil(async () => (await lockWaiters(blocker)) > 0, 'the send waits for the lock');

      C.child.kill('SIGTERM');
      expect(await C.exited).toBe(1);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(C.output()).toContain(
      'shutdown grace of 1000 ms ran out while answering the socket events in flight: ' +
        '2 socket(s) connected, 1 event(s) in flight, 0 disconnect(s) unfinished, ' +
        '1 send(s) and 0 acknowledgement(s) not written',
    );
  }, 60_000);
});

/** Sessions of the blocker's database waiting for a lock. */
async function lockWaiters(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0].n;
}
