import { io, Socket } from 'socket.io-client';
import { makeContacts, chatMessage } from './chat';
import { registerUser, TestUser } from './clients';
import { sleep } from './expect';

/** A chat client that, like a real app, reconnects (to any live instance) whenever it drops. */
export class ChatClient {
  socket?: Socket;
  /** The instance the socket is connected to. */
  url?: string;
  /** Messages received, by id: who sent it and its number in the sender's sequence. */
  readonly received = new Map<string, { from: string; n: number }>();
  /** Deliveries counted with duplicates (redelivered until acknowledged). */
  deliveries = 0;
  private closing = false;

  constructor(
    readonly user: TestUser,
    private readonly liveUrls: () => string[],
  ) {}

  async connect(): Promise<void> {
    while (!this.closing) {
      const urls = this.liveUrls();
      const url = urls[Math.floor(Math.random() * urls.length)];
      try {
        this.socket = await this.open(url);
        this.url = url;
        return;
      } catch {
        await sleep(200);
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

/** `count` users spread over the gateways, connected, each a contact of the next (a ring). */
export async function ringOfClients(
  count: number,
  gatewayUrls: string[],
  liveUrls: () => string[] = () => gatewayUrls,
): Promise<ChatClient[]> {
  const users = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      registerUser(gatewayUrls[i % gatewayUrls.length], { name: `U${i}`, sharedKeys: true }),
    ),
  );
  const clients = users.map((u) => new ChatClient(u, liveUrls));
  await Promise.all(clients.map((c) => c.connect()));
  for (const [i, client] of clients.entries()) {
    const next = clients[(i + 1) % count];
    await makeContacts(client.socket!, next.socket!, client.user.email, next.user.email);
  }
  return clients;
}

/** One send of the load and how it was answered. */
export interface Send {
  from: number;
  to: number;
  /** Its number in the sender's sequence. */
  n: number;
  sentAt: number;
  answeredAt: number;
  outcome: 'OK' | 'ERROR' | 'no answer';
  id?: string;
}

export interface Load {
  sends: Send[];
  /** Resolves once every sender has stopped (call stop() first). */
  done: Promise<void>;
  stop(): void;
}

/**
 * Everyone writes to the next user of the ring, one message at a time, until stop(): each send
 * waits for its ack (at most `ackTimeoutMs`), and after a refusal or a silence the sender pauses
 * briefly, as a client would before resending.
 */
export function ringLoad(clients: ChatClient[], ackTimeoutMs = 5_000): Load {
  const sends: Send[] = [];
  let running = true;
  const senders = clients.map(async (client, from) => {
    const to = (from + 1) % clients.length;
    for (let n = 0; running; n++) {
      const socket = client.socket;
      if (!socket?.connected) {
        await sleep(100); // reconnecting: nothing is tried meanwhile
        continue;
      }
      const sentAt = Date.now();
      const send: Send = { from, to, n, sentAt, answeredAt: sentAt, outcome: 'no answer' };
      sends.push(send);
      try {
        const ack = (await socket
          .timeout(ackTimeoutMs)
          .emitWithAck(
            'contactChatMessage',
            chatMessage(clients[to].user.email, `${from}:${n}`),
          )) as { status: string; id?: string };
        send.outcome = ack.status === 'OK' ? 'OK' : 'ERROR';
        send.id = ack.id;
      } catch {
        // no answer (timeout or connection lost): not OK, so the client may resend
      }
      send.answeredAt = Date.now();
      if (send.outcome !== 'OK') await sleep(100);
    }
  });
  return {
    sends,
    done: Promise.all(senders).then(() => undefined),
    stop: () => {
      running = false;
    },
  };
}

/** OK'd sends whose message has not reached its recipient. */
export function lostMessages(clients: ChatClient[], sends: Send[]): Send[] {
  return sends.filter((s) => s.outcome === 'OK' && !clients[s.to].received.has(s.id!));
}

/** "tried N / OK n / ERROR n / no answer n" of a load. */
export function tally(sends: Send[]): string {
  const count = (outcome: Send['outcome']) => sends.filter((s) => s.outcome === outcome).length;
  return `tried ${sends.length} / OK ${count('OK')} / ERROR ${count('ERROR')} / no answer ${count('no answer')}`;
}
