import { playConversation } from '../support/conversation';
import { FLEET_TEST_TIMEOUT, useFleet } from '../support/fleet-suite';

/**
 * The whole story (test/support/conversation.ts) across two gateway processes sharing one
 * database and one Redis: 1:1 RSA-OAEP messages live and queued, a group with an AES-GCM key
 * wrapped for each member, and its life (joins, promotion, removal, leaving).
 */
describe('a conversation across a fleet of two gateways', () => {
  const f = useFleet(2);

  it(
    'relays end-to-end encrypted 1:1 and group messages between instances, live and queued',
    () => playConversation(f.urls),
    FLEET_TEST_TIMEOUT,
  );
});
