import { createTestDatabase, TestDatabase } from './support/database';
import { registerUser } from './support/clients';
import { GatewayProcess, startGateway } from './support/gateway-process';
import { connectRaw } from './support/raw-socket';
import { TEST_JWT_SECRET } from './support/test-app';

/**
 * Frames a well-behaved client never sends, against a real gateway process: an exception thrown
 * outside a handler would end that process, so "still serving" is the assertion that matters.
 */
describe('raw socket.io frames', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await startGateway({ DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
  });

  it('answers an event whose name is not a string, and keeps serving', async () => {
    const user = await registerUser(gateway.url);
    const raw = await connectRaw(gateway.url, user.token);

    raw.send('421[1,{}]');
    expect(await raw.waitFor((f) => f.startsWith('431'))).toBe(
      '431[{"status":"ERROR","error":"event name must be a string","code":"unknown_event"}]',
    );
    raw.send('422[-2.5]');
    expect(await raw.waitFor((f) => f.startsWith('432'))).toBe(
      '432[{"status":"ERROR","error":"event name must be a string","code":"unknown_event"}]',
    );
    raw.send('423["removeContact",{"email":"nobody@example.com"}]');
    expect(await raw.waitFor((f) => f.startsWith('433'))).toBe(
      '433[{"status":"ERROR","error":"not a contact","code":"not_a_contact"}]',
    );
    raw.close();

    // Names socket.io's own parser refuses (not a string or number) cost only that connection.
    for (const frame of ['424[null]', '425[["sendContactRequest"],{}]', '426{"a":1}']) {
      const doomed = await connectRaw(gateway.url, user.token);
      doomed.send(frame);
      await doomed.closed;
    }
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
  });
});
