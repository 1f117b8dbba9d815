/**
 * The docker-compose fleet, end to end through nginx only (deploy/compose-test.sh brings it up and
 * passes its address in BOWL_COMPOSE_URL): five users register, make contacts and a group, chat 1:1
 * and in the group, and one receives what was sent while offline. Then the three gateways restart
 * one after the other while everybody keeps writing. Every message acknowledged OK must reach each
 * of its recipients: exactly once after dedupe by id.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { io, Socket } from 'socket.io-client';
import { makeContacts, makeGroup } from '../support/chat';
import { waitUntil } from '../support/expect';
import { Ack, registerUser, TestUser } from '../support/clients';

const BASE_URL = process.env.BOWL_COMPOSE_URL ?? '';
const GATEWAYS = ['gateway-1', 'gateway-2', 'gateway-3'];
const ACK_TIMEOUT_MS = 5_000;
const SEND_ATTEMPTS = 8;
const PAUSE_BETWEEN_SENDS_MS = 100;

const run = promisify(execFile);
/** docker-compose with the project and file the wrapper exported (COMPOSE_PROJECT_NAME, COMPOSE_FILE). */
const compose = async (...args: string[]) => (await run('docker-compose', args)).stdout.trim();
const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Payload = Record<string, unknown>;

/** Every message acknowledged OK, who must get it, and what each user got. */
class Ledger {
  /** message id → recipients' emails */
  readonly confirmed = new Map<string, string[]>();
  /** clientMessageIds of sends never acknowledged OK (not owed to anyone) */
  readonly unconfirmed = new Set<string>();
  /** refusal or failure → count, for the report */
  readonly failures = new Map<string, number>();
  /** recipient email → message id → times delivered */
  readonly deliveries = new Map<string, Map<string, number>>();
  /** deliveries of ids nobody was told about, or to someone who is not a recipient */
  readonly strays: string[] = [];

  failure(what: string): void {
    this.failures.set(what, (this.failures.get(what) ?? 0) + 1);
  }

  delivered(email: string, payload: Payload): void {
    const id = payload.id as string;
    const mine = this.deliveries.get(email) ?? new Map<string, number>();
    this.deliveries.set(email, mine.set(id, (mine.get(id) ?? 0) + 1));
  }

  totals() {
    let expected = 0;
    let received = 0;
    let duplicates = 0;
    for (const [id, recipients] of this.confirmed) {
      for (const email of recipients) {
        expected++;
        const times = this.deliveries.get(email)?.get(id) ?? 0;
        if (times > 0) received++;
        duplicates += Math.max(0, times - 1);
      }
    }
    return { sent: this.confirmed.size, expected, received, lost: expected - received, duplicates };
  }

  /** Deliveries that match no confirmed message for that recipient (checked at the end). */
  findStrays(sentBy: Map<string, string>): void {
    for (const [email, ids] of this.deliveries) {
      for (const id of ids.keys()) {
        if (this.confirmed.get(id)?.includes(email)) continue;
        const clientMessageId = sentBy.get(id);
        if (clientMessageId && this.unconfirmed.has(clientMessageId)) continue; // stored, ack lost
        this.strays.push(`${id} to ${email}`);
      }
    }
  }
}

/** One user's client: reconnects on its own, acknowledges every delivery, dedupes by id. */
class ChatClient {
  readonly socket: Socket;
  /** message id → the payload first received */
  readonly inbox = new Map<string, Payload>();

  constructor(
    readonly user: TestUser,
    /** The address nginx hashes on (X-Forwarded-For from a trusted hop): spreads clients out. */
    address: string,
    transports: ('polling' | 'websocket')[],
    private readonly ledger: Ledger,
    /** message id → the clientMessageId it carried (our senders put it in `message`) */
    private readonly clientMessageIds: Map<string, string>,
  ) {
    this.socket = io(BASE_URL, {
      auth: { token: user.token },
      transports,
      extraHeaders: { 'x-forwarded-for': address },
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2_000,
    });
    for (const event of ['contactChatMessage', 'groupChatMessage']) {
      this.socket.on(event, (payload: Payload, ack?: (reply: unknown) => void) => {
        this.ledger.delivered(user.email, payload);
        this.clientMessageIds.set(payload.id as string, payload.message as string);
        if (!this.inbox.has(payload.id as string)) this.inbox.set(payload.id as string, payload);
        ack?.({ status: 'OK' });
      });
    }
    // A draining gateway disconnects its sockets; socket.io leaves reconnecting to the client then.
    this.socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => this.socket.connect(), 100);
    });
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
      this.socket.connect();
    });
  }

  received(id: string): Promise<Payload> {
    return waitUntil(() => this.inbox.has(id), `message ${id} at ${this.user.name}`).then(() =>
      this.inbox.get(id)!,
    );
  }

  /**
   * Sends a chat message, resending it with the same clientMessageId until it is acknowledged OK
   * (a resend of a stored one gets the first id back); returns its id, or undefined if never OK.
   */
  async send(
    event: 'contactChatMessage' | 'groupChatMessage',
    target: { to: string } | { groupId: string },
    recipients: string[],
  ): Promise<string | undefined> {
    const clientMessageId = randomUUID();
    const payload = {
      ...target,
      date: '01/12/2026',
      time: '12:00',
      messageType: 'text',
      message: clientMessageId, // stands in for the ciphertext, and ties a delivery to its send
      clientMessageId,
    };
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
      try {
        const ack = (await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack;
        if (ack.status === 'OK') {
          this.ledger.confirmed.set(ack.id as string, recipients);
          return ack.id as string;
        }
        this.ledger.failure(`${event} ERROR: ${ack.error}`);
      } catch {
        this.ledger.failure(`${event}: no ack within ${ACK_TIMEOUT_MS} ms`);
      }
      await sleep(250);
    }
    this.ledger.unconfirmed.add(clientMessageId);
    return undefined;
  }

  /** Resolves once the connection is closed (a polling client first finishes its last request). */
  close(): Promise<void> {
    const engine = this.socket.io.engine;
    const closed = new Promise<void>((resolve) => {
      if (!engine || engine.readyState === 'closed') resolve();
      else engine.once('close', () => resolve());
    });
    this.socket.close();
    return closed;
  }
}

interface Restart {
  service: string;
  exitCode: number;
  stopSeconds: number;
  backSeconds: number;
  confirmedDuring: number;
}

async function restartOneByOne(ledger: Ledger): Promise<Restart[]> {
  const restarts: Restart[] = [];
  for (const service of GATEWAYS) {
    const container = await compose('ps', '-q', service);
    const confirmedBefore = ledger.confirmed.size;
    const start = Date.now();
    await compose('stop', '-t', '40', service); // SIGTERM, then waits for the exit
    const stopped = Date.now();
    const exitCode = Number(await docker('inspect', '-f', '{{.State.ExitCode}}', container));
    await compose('start', service);
    await waitHealthy(container);
    restarts.push({
      service,
      exitCode,
      stopSeconds: (stopped - start) / 1000,
      backSeconds: (Date.now() - stopped) / 1000,
      confirmedDuring: ledger.confirmed.size - confirmedBefore,
    });
  }
  return restarts;
}

async function waitHealthy(container: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const status = await docker('inspect', '-f', '{{.State.Health.Status}}', container);
    if (status === 'healthy') return;
    await sleep(500);
  }
  throw new Error(`${container} not healthy within 90 s`);
}

describe('docker-compose fleet behind nginx', () => {
  const ledger = new Ledger();
  const clientMessageIds = new Map<string, string>();
  let clients: ChatClient[] = [];

  beforeAll(() => {
    if (!BASE_URL) throw new Error('run through npm run test:compose (BOWL_COMPOSE_URL is unset)');
  });
  afterAll(() => Promise.all(clients.map((c) => c.close())));

  it('plays a conversation, then loses nothing while the gateways restart one by one', async () => {
    const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const users = await Promise.all(
      names.map((name) =>
        registerUser(BASE_URL, { name, email: `${name}.${randomUUID()}@example.com` }),
      ),
    );
    clients = users.map(
      (user, i) =>
        new ChatClient(
          user,
          `198.51.100.${10 + i}`, // documentation range: only a label nginx hashes on
          i % 2 ? ['websocket'] : ['polling', 'websocket'],
          ledger,
          clientMessageIds,
        ),
    );
    await Promise.all(clients.map((c) => c.connect()));
    const [alice, bob, carol, dave, erin] = clients;
    const email = (c: ChatClient) => c.user.email;

    const pairs: [ChatClient, ChatClient][] = [
      [alice, bob],
      [alice, carol],
      [alice, dave],
      [alice, erin],
      [bob, carol],
      [carol, erin],
    ];
    for (const [a, b] of pairs) await makeContacts(a.socket, b.socket, email(a), email(b));
    const others = clients.slice(1).map((c) => ({ email: email(c), socket: c.socket }));
    const groupId = await makeGroup(alice.socket, others, 'crew');
    const groupRecipients = (sender: ChatClient) => clients.filter((c) => c !== sender).map(email);

    // 1:1 and group, everybody online.
    const direct = await alice.send('contactChatMessage', { to: email(bob) }, [email(bob)]);
    expect(await bob.received(direct!)).toMatchObject({ id: direct, from: email(alice) });
    const group = await carol.send('groupChatMessage', { groupId }, groupRecipients(carol));
    for (const c of [alice, bob, dave, erin]) {
      expect(await c.received(group!)).toMatchObject({ id: group, groupId, from: email(carol) });
    }

    // Offline delivery: erin is away while a 1:1 and a group message are sent to her.
    erin.socket.disconnect();
    const whileAway = [
      await alice.send('contactChatMessage', { to: email(erin) }, [email(erin)]),
      await bob.send('groupChatMessage', { groupId }, groupRecipients(bob)),
    ];
    await erin.connect();
    for (const id of whileAway) expect(await erin.received(id!)).toMatchObject({ id });

    // Everybody keeps writing (to a contact or the group, in turn) while the gateways restart.
    const contactsOf = (c: ChatClient) =>
      pairs.flatMap(([a, b]) => (a === c ? [b] : b === c ? [a] : []));
    let writing = true;
    const writers = clients.map(async (client) => {
      const contacts = contactsOf(client);
      for (let n = 0; writing; n++) {
        const to = contacts[n % (contacts.length + 1)];
        if (to) await client.send('contactChatMessage', { to: email(to) }, [email(to)]);
        else await client.send('groupChatMessage', { groupId }, groupRecipients(client));
        await sleep(PAUSE_BETWEEN_SENDS_MS);
      }
    });
    await sleep(2_000);
    const restarts = await restartOneByOne(ledger).finally(async () => {
      await sleep(3_000);
      writing = false;
      await Promise.all(writers);
    });

    await waitUntil(() => ledger.totals().lost === 0, 'every confirmed message', 60_000).catch(
      () => undefined, // reported below
    );
    ledger.findStrays(clientMessageIds);
    const totals = ledger.totals();
    const report = [
      `compose fleet: sent ${totals.sent} (OK'd), deliveries expected ${totals.expected}, ` +
        `received ${totals.received}, lost ${totals.lost}, redelivered and deduped ${totals.duplicates}, ` +
        `never OK'd ${ledger.unconfirmed.size}, strays ${ledger.strays.length}`,
      ...restarts.map(
        (r) =>
          `  ${r.service}: stopped in ${r.stopSeconds.toFixed(1)} s (exit ${r.exitCode}), ` +
          `healthy again ${r.backSeconds.toFixed(1)} s later, ${r.confirmedDuring} messages OK'd meanwhile`,
      ),
      ...[...ledger.failures].map(([what, count]) => `  ${count} × ${what}`),
    ];
    process.stdout.write(`${report.join('\n')}\n`);

    expect(ledger.strays).toEqual([]);
    expect(totals.lost).toBe(0);
    expect(restarts.map((r) => [r.service, r.exitCode])).toEqual(GATEWAYS.map((g) => [g, 0]));
    for (const r of restarts) expect(r.confirmedDuring).toBeGreaterThan(0);
  });
});
