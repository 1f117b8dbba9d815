import { connectRecording, Fleet, startFleet } from './support/fleet';
import { playConversation } from './support/conversation';
import { registerUser } from './support/clients';
import { makeContacts } from './support/chat';
import { PrivateRedisCluster, startPrivateRedisCluster } from './support/private-redis-cluster';

/**
 * Past one Redis: two gateway processes on a local three-node Redis Cluster (REDIS_CLUSTER_NODES)
 * play the same conversation as the single-Redis fleet test: notices, the socket.io adapter
 * (sharded pub/sub) and presence (one-key scripts) all work across shards.
 */
describe('a fleet of two gateways on a three-node Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let fleet: Fleet;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    fleet = await startFleet(2, { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.nodes });
  }, 60_000);
  afterAll(async () => {
    await fleet?.stop();
    await cluster?.stop();
  });

  it('plays the whole conversation, end to end encrypted, across both instances', async () => {
    await playConversation(fleet.gateways.map((g) => g.url));
  }, 120_000);

  it('reaps a killed instance: its users go offline for the others, with a cluster underneath', async () => {
    const [a, b] = fleet.gateways;
    const [alice, bob] = await Promise.all(
      ['Alice', 'Bob'].map((name) => registerUser(a.url, { name })),
    );
    const aliceSocket = await connectRecording(a.url, alice.token);
    const bobSocket = await connectRecording(b.url, bob.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
    await aliceSocket.waitFor('online', (p) => p.email === bob.email);

    await b.stop('SIGKILL');
    await aliceSocket.waitFor('offline', (p) => p.email === bob.email, 30_000);
    aliceSocket.close();
    bobSocket.close();
  }, 60_000);
});
