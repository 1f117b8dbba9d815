/**
 * The bare relay: the baseline Bowl is measured against (`node dist/…/relay.js`, started by the
 * bench). The same socket.io and @socket.io/redis-adapter as Bowl, and nothing else: no auth, no
 * validation, no storage, no presence.
 *
 * - A client connects with `auth: {user, rooms?}` and joins the room `user` and each of `rooms`.
 * - `send` `{to, payload}` with an ack: `{from: user, payload}` goes to room `to` on every instance
 *   (the sending socket excluded) as `msg`, and the sender gets `{status: "OK"}`.
 * - Recipients acknowledge each `msg` by emitting `ack` to their own instance, which only counts
 *   it: like Bowl's delivery acks, they never travel back to the sender's instance.
 *
 * Environment: PORT, REDIS_URL (absent: a single instance), REDIS_KEY_PREFIX.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { createServer } from 'node:http';
import { Server, Socket } from 'socket.io';

/** Bowl's default MAX_MESSAGE_BYTES plus the 16 KiB it allows for the rest of a frame. */
const MAX_FRAME_BYTES = 64 * 1024 + 16 * 1024;

interface RelayAuth {
  user?: unknown;
  rooms?: unknown;
}

function onConnection(socket: Socket): void {
  const auth = socket.handshake.auth as RelayAuth;
  const user = typeof auth.user === 'string' ? auth.user : socket.id;
  const rooms = Array.isArray(auth.rooms) ? auth.rooms.filter((r) => typeof r === 'string') : [];
  void socket.join([user, ...rooms]);
  socket.on('send', (message: { to?: unknown; payload?: unknown }, ack?: unknown) => {
    if (typeof message?.to === 'string') {
      socket.to(message.to).emit('msg', { from: user, payload: message.payload });
    }
    if (typeof ack === 'function') ack({ status: 'OK' });
  });
  socket.on('ack', () => undefined);
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 0);
  const redisUrl = process.env.REDIS_URL;
  let ready = !redisUrl;
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/health/ready' && ready ? 200 : 503).end();
  });
  const io = new Server(http, { maxHttpBufferSize: MAX_FRAME_BYTES, cors: { origin: true } });
  const redis: Redis[] = [];
  if (redisUrl) {
    const pub = new Redis(redisUrl, { lazyConnect: true });
    const sub = pub.duplicate();
    redis.push(pub, sub);
    for (const client of redis) client.on('error', (err) => console.error(`relay: ${err.message}`));
    await Promise.all(redis.map((client) => client.connect()));
    const key = `${process.env.REDIS_KEY_PREFIX ?? 'relay:'}sio`;
    io.adapter(createAdapter(pub, sub, { key }));
    await sub.ping(); // answered after the adapter's (p)subscribe: no broadcast is missed
    ready = true;
  }
  io.on('connection', onConnection);
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));

  const stop = () => {
    io.close(() => {
      for (const client of redis) client.disconnect();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  console.error(`relay: failed to start: ${err.message}`);
  process.exit(1);
});
