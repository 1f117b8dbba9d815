import { playConversation } from './support/conversation';
import { Fleet, startFleet } from './support/fleet';

/** The classic routing (every notice to every instance) still delivers everything, in order. */
describe('NOTICE_ROUTING=broadcast on a fleet of two gateways', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { NOTICE_ROUTING: 'broadcast' });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('plays the whole conversation', async () => {
    await playConversation(fleet.gateways.map((g) => g.url));
  }, 120_000);
});
