import { io, Socket } from 'socket.io-client';
import { emitAck, registerUser, TestUser } from './support/clients';
import { chatMessage, makeContacts } from './support/chat';
import { waitUntil } from './support/expect';
import { connectRecording, Fleet, startFleet } from './support/fleet';
import { GatewayProcess } from './support/gateway-process';

describe('an instance killed with SIGKILL', () => {
  let fleet: Fleet;
  afterAll(() => fleet?.stop());

  it('takes its users offline within 20 s; they come back on the survivor and get what was queued', async () => {
    fleet = await startFleet(2);
    const [survivor, victim] = fleet.gateways;
    const alice = await registerUser(survivor.url, { name: 'Alice', sharedKeys: true });
    const bob = await registerUser(survivor.url, { name: 'Bob', sharedKeys: true });
    const aliceSocket = await connectRecording(survivor.url, alice.token);
    const bobSocket = await connectRecording(victim.url, bob.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await aliceSocket.waitFor('offline', (p) => p.email === bob.email, 25_000);
    const detectedAfterMs = Date.now() - killedAt;
    console.log(`offline noticed ${detectedAfterMs} ms after SIGKILL`);
    expect(detectedAfterMs).toBeLessThan(20_000);

    const queued: string[] = [];
    for (let i = 0; i < 5; i++) {
      queued.push(
        (
          await emitAck(
            aliceSocket.socket,
            'contactChatMessage',
            chatMessage(bob.email, `while-away-${i}`),
          )
        ).id as string,
      );
    }
    const onlineBefore = aliceSocket.all('online').length;
    const bobBack = await connectRecording(survivor.url, bob.token);
    await aliceSocket.waitFor(
      'online',
      (p) => p.email === bob.email && aliceSocket.all('online').length > onlineBefore,
    );
    await waitUntil(() => bobBack.all('contactChatMessage').length === 5, 'the 5 queued messages');
    expect(bobBack.all('contactChatMessage').map((m) => m.id)).toEqual(queued);
    expect(bobBack.all('onlineChats')[0]).toEqual({ contacts: [alice.email], groups: [] });
    bobBack.close();
    aliceSocket.close();
  }, 90_000);
});

/** A chat client that, like a real app, reconnects to another instance when its own dies. */
class ResilientClient {
  socket?: Socket;
  readonly received = new Map<string, { from: string; n: number }>();
  deliveries = 0;
  private closing = false;

  constructor(
    readonly user: TestUser,
    private readonly liveUrls: () => string[],
  ) {}

  async connect(): Promise<void> {
    for (;;) {
      const urls = this.liveUrls();
      const url = urls[Math.floor(Math.random() * urls.length)];
      try {
        this.socket = await this.open(url);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  close(): void {
    this.closing = true;
    this.socket?.close();
  }

  private open(url: string): Promise<Socket> {
    const socket = io(url, {
      auth: { token: this.user.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.on(
      'contactChatMessage',
      (m: { id: string; from: string; message: string }, ack?: (r: unknown) => void) => {
        this.deliveries++;
        if (!this.received.has(m.id))
          this.received.set(m.id, { from: m.from, n: Number(m.message.split(':')[1]) });
        ack?.({ status: 'OK' });
      },
    );
    socket.on('disconnect', () => {
      if (!this.closing) setTimeout(() => void this.connect(), 100);
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  }
}

describe('a crash under load', () => {
  const USERS = 50;
  const LOAD_MS = 8_000;
  let fleet: Fleet;
  afterAll(() => fleet?.stop());

  it('loses nothing that was acknowledged, and keeps each conversation in order', async () => {
    fleet = await startFleet(3);
    const live = new Set<GatewayProcess>(fleet.gateways);
    const liveUrls = () => [...live].map((g) => g.url);
    const users = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        registerUser(fleet.gateways[i % 3].url, { name: `U${i}`, sharedKeys: true }),
      ),
    );
    const clients = users.map((u) => new ResilientClient(u, liveUrls));
    await Promise.all(clients.map((c) => c.connect()));
    // A ring: everyone writes to the next user and reads from the previous one.
    const next = (i: number) => (i + 1) % USERS;
    for (let i = 0; i < USERS; i += 2) {
      await makeContacts(
        clients[i].socket!,
        clients[next(i)].socket!,
        users[i].email,
        users[next(i)].email,
      );
      const j = next(i);
      await makeContacts(
        clients[j].socket!,
        clients[next(j)].socket!,
        users[j].email,
        users[next(j)].email,
      );
    }

    let attempted = 0;
    const acknowledged: { id: string; from: number; to: number; n: number }[] = [];
    const endAt = Date.now() + LOAD_MS;
    const senders = clients.map(async (client, i) => {
      for (let n = 0; Date.now() < endAt; n++) {
        attempted++;
        try {
          const socket = client.socket;
          if (!socket?.connected) throw new Error('reconnecting');
          const ack = (await socket
            .timeout(5_000)
            .emitWithAck('contactChatMessage', chatMessage(users[next(i)].email, `${i}:${n}`))) as {
            status: string;
            id: string;
          };
          if (ack.status === 'OK') acknowledged.push({ id: ack.id, from: i, to: next(i), n });
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // no OK: the client may resend; it is not counted
        }
      }
    });

    await new Promise((r) => setTimeout(r, LOAD_MS / 2));
    const victim = fleet.gateways[1];
    victim.child.kill('SIGKILL');
    live.delete(victim);
    await victim.exited;
    live.add(await fleet.add()); // the orchestrator restarts it
    await Promise.all(senders);

    const missing = () => acknowledged.filter((m) => !clients[m.to].received.has(m.id));
    await waitUntil(
      () => missing().length === 0,
      'every acknowledged message to arrive',
      60_000,
    ).catch(() => undefined);

    const receivedAcked = acknowledged.length - missing().length;
    const outOfOrder = clients.filter((client) => {
      const fromPrevious = [...client.received.values()].map((m) => m.n);
      return fromPrevious.some((n, k) => k > 0 && n <= fromPrevious[k - 1]);
    }).length;
    const duplicates = clients.reduce((sum, c) => sum + c.deliveries - c.received.size, 0);
    console.log(
      `crash under load: sent ${attempted} / acknowledged ${acknowledged.length} / received ${receivedAcked} / ` +
        `lost ${missing().length} (redelivered duplicates deduped by id: ${duplicates}, conversations out of order: ${outOfOrder})`,
    );
    for (const c of clients) c.close();

    expect(acknowledged.length).toBeGreaterThan(USERS * 5);
    expect(missing()).toEqual([]);
    expect(outOfOrder).toBe(0);
  }, 150_000);
});
