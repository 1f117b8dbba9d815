import { emitAck, registerUser } from './support/clients';
import { chatMessage, makeContacts } from './support/chat';
import { waitUntil } from './support/expect';
import { connectRecording, Fleet, startFleet } from './support/fleet';
import { PrivateRedis, startPrivateRedis } from './support/private-redis';

describe('a Redis outage under a fleet of two gateways', () => {
  let redis: PrivateRedis;
  let fleet: Fleet;
  afterAll(async () => {
    await fleet?.stop();
    await redis?.kill();
  });

  it('crashes nothing, loses nothing: sends are stored, delivered once Redis is back', async () => {
    redis = await startPrivateRedis();
    fleet = await startFleet(2, { REDIS_URL: redis.url });
    const [a, b] = fleet.gateways.map((g) => g.url);
    const alice = await registerUser(a, { name: 'Alice', sharedKeys: true });
    const bob = await registerUser(a, { name: 'Bob', sharedKeys: true });
    const carol = await registerUser(a, { name: 'Carol', sharedKeys: true });
    const aliceSocket = await connectRecording(a, alice.token);
    const bobSocket = await connectRecording(b, bob.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);

    await redis.kill();
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ack = await emitAck(
        aliceSocket.socket,
        'contactChatMessage',
        chatMessage(bob.email, `during-${i}`),
      );
      expect(ack.status).toBe('OK'); // PostgreSQL is the source of truth; Redis only carries notices
      sent.push(ack.id as string);
    }
    // A fleet-wide push (through the socket.io Redis adapter) while Redis is down must not
    // bring an instance down once ioredis gives up on it.
    expect(
      await emitAck(bobSocket.socket, 'sendContactRequest', { email: carol.email }),
    ).toMatchObject({ status: 'OK' });
    await new Promise((r) => setTimeout(r, 3_000));
    for (const gateway of fleet.gateways) {
      expect(gateway.child.exitCode).toBeNull();
      expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(503);
    }

    await redis.start();
    // Bob never reconnected: his instance re-reads his queue once its Redis connections are back.
    await waitUntil(
      () => sent.every((id) => bobSocket.all('contactChatMessage').some((m) => m.id === id)),
      'the messages sent during the outage',
      30_000,
    );
    expect(bobSocket.all('contactChatMessage').map((m) => m.id)).toEqual(sent);
    for (const gateway of fleet.gateways) {
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${gateway.url}/health/ready`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
    }
    expect(aliceSocket.socket.connected && bobSocket.socket.connected).toBe(true);
    aliceSocket.close();
    bobSocket.close();
  }, 90_000);
});
