import { chatMessage, makeContacts } from './support/chat';
import { connect, emitAck, registerUser } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { sample } from './support/metrics';
import { startTestApp, testConfig, TestApp } from './support/test-app';

const TOKEN = 'scrape-token-for-the-test';

describe('GET /metrics', () => {
  let db: TestDatabase;
  let app: TestApp;
  const scrape = (authorization?: string) =>
    fetch(`${app.url}/metrics`, { headers: authorization ? { authorization } : {} });

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(testConfig(db.url, { METRICS_TOKEN: TOKEN }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers only with the bearer token', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(`Bearer ${TOKEN}x`)).status).toBe(401);
    const ok = await scrape(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toContain('process_cpu_seconds_total');
  });

  it('counts events, stored and delivered messages, notices and connected sockets', async () => {
    const [alice, bob] = await Promise.all([registerUser(app.url), registerUser(app.url)]);
    const [a, b] = await Promise.all([connect(app.url, alice.token), connect(app.url, bob.token)]);
    await makeContacts(a, b, alice.email, bob.email);
    const before = await (await scrape(`Bearer ${TOKEN}`)).text();
    const received = new Promise((resolve) =>
      b.on('contactChatMessage', (payload, ack: () => void) => {
        ack();
        resolve(payload);
      }),
    );
    expect((await emitAck(a, 'contactChatMessage', chatMessage(bob.email, 'aGk='))).status).toBe(
      'OK',
    );
    await received;
    await emitAck(a, 'removeContact', { email: 'nobody@example.com' });
    const after = await (await scrape(`Bearer ${TOKEN}`)).text();
    const delta = (line: string) => sample(after, line) - sample(before, line);

    expect(delta('bowl_messages_stored_total')).toBe(1);
    expect(delta('bowl_messages_delivered_total')).toBe(1);
    expect(delta('bowl_notices_received_total')).toBe(1);
    expect(delta('bowl_message_store_seconds_count')).toBe(1);
    expect(delta('bowl_socket_events_total{event="contactChatMessage",outcome="ok"}')).toBe(1);
    expect(delta('bowl_socket_events_total{event="removeContact",outcome="not_a_contact"}')).toBe(
      1,
    );
    expect(sample(after, 'bowl_connected_sockets')).toBe(2);
    expect(sample(after, 'bowl_connected_users')).toBe(2);
    a.close();
    b.close();
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  it('is not there', async () => {
    const db = await createTestDatabase();
    const app = await startTestApp(testConfig(db.url));
    try {
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    } finally {
      await app.close();
      await db.drop();
    }
  });
});
