import { chatMessage, makeContacts } from './support/chat';
import { emitAck, registerUser } from './support/clients';
import { playConversation } from './support/conversation';
import { connectRecording, Fleet, startFleet } from './support/fleet';
import { counter } from './support/metrics';

const TOKEN = 'notice-routing-metrics-token';
const NOTICES = 'bowl_notices_received_total';

/**
 * Alice and Bob both on instance a; Alice sends Bob `count` messages. Returns how many notices
 * each instance received meanwhile.
 */
async function noticesOfLocalTraffic(fleet: Fleet, count: number): Promise<number[]> {
  const [a, b] = fleet.gateways.map((g) => g.url);
  const [alice, bob] = await Promise.all([registerUser(a), registerUser(a)]);
  const aliceSocket = await connectRecording(a, alice.token);
  const bobSocket = await connectRecording(a, bob.token);
  await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
  const before = await Promise.all([a, b].map((url) => counter(url, TOKEN, NOTICES)));
  for (let i = 0; i < count; i++) {
    const ack = await emitAck(
      aliceSocket.socket,
      'contactChatMessage',
      chatMessage(bob.email, 'aGk='),
    );
    await bobSocket.waitFor('contactChatMessage', (p) => p.id === ack.id);
  }
  const after = await Promise.all([a, b].map((url) => counter(url, TOKEN, NOTICES)));
  aliceSocket.socket.close();
  bobSocket.socket.close();
  return after.map((n, i) => n - before[i]);
}

describe('per-user notice routing (the default) on a fleet of two gateways', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { METRICS_TOKEN: TOKEN });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('sends a notice only to the instance holding the recipient', async () => {
    expect(await noticesOfLocalTraffic(fleet, 3)).toEqual([3, 0]);
  }, 60_000);
});

/** The classic routing (every notice to every instance) still delivers everything, in order. */
describe('NOTICE_ROUTING=broadcast on a fleet of two gateways', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { NOTICE_ROUTING: 'broadcast', METRICS_TOKEN: TOKEN });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('plays the whole conversation', async () => {
    await playConversation(fleet.gateways.map((g) => g.url));
  }, 120_000);

  it('sends every notice to every instance', async () => {
    expect(await noticesOfLocalTraffic(fleet, 3)).toEqual([3, 3]);
  }, 60_000);
});
