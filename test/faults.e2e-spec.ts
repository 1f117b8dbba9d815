import { connectRecording, Fleet, startFleet } from './support/fleet';
import { sleep, waitUntil } from './support/expect';
import { ChatClient, lostMessages, ringLoad, ringOfClients, Send, tally } from './support/load';
import { PrivatePostgres, startPrivatePostgres } from './support/private-postgres';
import { PrivateRedis, startPrivateRedis } from './support/private-redis';

/**
 * Faults under load: three gateway processes, a ring of users each writing to the next, and the
 * PostgreSQL or Redis server of the fleet (a private one, on its own port) stopped and started
 * again mid-traffic. Each prints tried / OK / ERROR / lost.
 */
const USERS = 12;
const OUTAGE_MS = 2_000;

const readiness = (fleet: Fleet) =>
  Promise.all(fleet.gateways.map(async (g) => (await fetch(`${g.url}/health/ready`)).status));

async function allReady(fleet: Fleet, status: number, what: string): Promise<void> {
  await waitUntil(async () => (await readiness(fleet)).every((s) => s === status), what, 15_000);
}

const answeredWithin = (sends: Send[], from: number, to: number) =>
  sends.filter((s) => s.sentAt >= from && s.answeredAt <= to);

describe('faults under load (3 gateways)', () => {
  let fleet: Fleet | undefined;
  let clients: ChatClient[] = [];
  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await fleet?.stop();
    fleet = undefined;
  });

  describe('PostgreSQL restarted mid-traffic', () => {
    let pg: PrivatePostgres;
    afterAll(() => pg?.remove());

    it('refuses every send while it is down (never OK), reports not ready, loses nothing OK’d', async () => {
      pg = await startPrivatePostgres();
      fleet = await startFleet(3, { DATABASE_URL: pg.url });
      clients = await ringOfClients(
        USERS,
        fleet.gateways.map((g) => g.url),
      );
      const load = ringLoad(clients, 3_000);
      await sleep(OUTAGE_MS);

      await pg.stop();
      const downAt = Date.now();
      await allReady(fleet, 503, 'every instance reports not ready');
      const notReadyAfterMs = Date.now() - downAt;
      await sleep(OUTAGE_MS);
      const upAt = Date.now();
      await pg.start();
      await allReady(fleet, 200, 'every instance reports ready again');
      const readyAgainAfterMs = Date.now() - upAt;
      await sleep(OUTAGE_MS);
      load.stop();
      await load.done;

      const duringOutage = answeredWithin(load.sends, downAt, upAt);
      await waitUntil(
        () => lostMessages(clients, load.sends).length === 0,
        'every OK’d message to arrive',
        30_000,
      ).catch(() => undefined);
      const lost = lostMessages(clients, load.sends);
      console.log(
        `postgres restart: ${tally(load.sends)} / lost ${lost.length}; during the outage ` +
          `${tally(duringOutage)}; /health/ready 503 ${notReadyAfterMs} ms after the stop, ` +
          `200 ${readyAgainAfterMs} ms after the start`,
      );

      expect(duringOutage.length).toBeGreaterThan(0);
      expect(duringOutage.filter((s) => s.outcome !== 'ERROR')).toEqual([]);
      expect(
        load.sends.filter((s) => s.outcome === 'OK' && s.sentAt > upAt).length,
      ).toBeGreaterThan(0);
      expect(lost).toEqual([]);
      expect(fleet.gateways.map((g) => g.child.exitCode)).toEqual([null, null, null]);
    }, 90_000);
  });

  describe('Redis restarted mid-traffic', () => {
    let redis: PrivateRedis;
    afterAll(() => redis?.kill());

    it('reconnects, rebuilds presence, resumes fan-out, loses nothing OK’d', async () => {
      redis = await startPrivateRedis();
      fleet = await startFleet(3, { REDIS_URL: redis.url });
      const urls = fleet.gateways.map((g) => g.url);
      clients = await ringOfClients(USERS, urls);
      const load = ringLoad(clients, 3_000);
      await sleep(OUTAGE_MS);

      await redis.kill();
      const downAt = Date.now();
      await allReady(fleet, 503, 'every instance reports not ready');
      await sleep(OUTAGE_MS);
      const upAt = Date.now();
      await redis.start(); // empty: presence and pub/sub start from nothing
      await allReady(fleet, 200, 'every instance reports ready again');
      await sleep(OUTAGE_MS);
      load.stop();
      await load.done;

      await waitUntil(
        () => lostMessages(clients, load.sends).length === 0,
        'every OK’d message to arrive',
        30_000,
      ).catch(() => undefined);
      const lost = lostMessages(clients, load.sends);

      // Presence rebuilt: a new connection of user 0 sees both ring neighbours online.
      const [first, second, last] = [clients[0], clients[1], clients[USERS - 1]];
      await waitUntil(
        async () => {
          const probe = await connectRecording(urls[0], first.user.token);
          const chats = await probe.waitFor('onlineChats');
          probe.close();
          return (chats.contacts as string[]).length === 2;
        },
        'onlineChats to show both neighbours online again',
        20_000,
      );
      // Fan-out across instances: user 1 leaving is heard by user 0 on another instance.
      const watcher = await connectRecording(
        urls.find((u) => u !== second.url)!,
        first.user.token,
      );
      second.close();
      const offline = await watcher.waitFor('offline', (p) => p.email === second.user.email);
      watcher.close();
      console.log(
        `redis restart: ${tally(load.sends)} / lost ${lost.length}; during the outage ` +
          `${tally(answeredWithin(load.sends, downAt, upAt))}; presence rebuilt, fan-out resumed`,
      );

      expect(lost).toEqual([]);
      expect(
        load.sends.filter((s) => s.outcome === 'OK' && s.sentAt > upAt).length,
      ).toBeGreaterThan(0);
      expect(offline).toEqual({ email: second.user.email });
      expect(last.socket?.connected).toBe(true);
      expect(fleet.gateways.map((g) => g.child.exitCode)).toEqual([null, null, null]);
    }, 90_000);
  });
});
