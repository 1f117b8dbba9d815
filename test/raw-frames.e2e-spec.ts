import fc from 'fast-check';
import { connect, emitAck, registerUser } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { rawFrame } from './support/frames';
import { GatewayProcess, startGateway } from './support/gateway-process';
import { PROPERTY_SEED } from './support/hostile';
import { connectRaw, RawSocket } from './support/raw-socket';
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
    // Hundreds of connections and events from one user: this tests hostile input, not the limits.
    gateway = await startGateway({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_SOCKET_EVENTS: 'off',
      RATE_LIMIT_CONNECTIONS_PER_USER: 'off',
    });
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
    // socket.io itself listens to "error" on every socket: that must not pass for a handler.
    raw.send('424["error",{}]');
    expect(await raw.waitFor((f) => f.startsWith('434'))).toBe(
      '434[{"status":"ERROR","error":"unknown event \\"error\\"","code":"unknown_event"}]',
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

  it('survives a seeded barrage of malformed frames, then serves a normal client', async () => {
    const FRAMES = 500;
    const user = await registerUser(gateway.url, { sharedKeys: true });
    const frames = fc.sample(rawFrame, { seed: PROPERTY_SEED, numRuns: FRAMES });
    const tally = { frames: 0, binaries: 0, connections: 0, survived: 0, closed: 0, acks: 0 };
    let raw: RawSocket | undefined;
    for (const [n, frame] of frames.entries()) {
      if (!raw?.isOpen()) {
        raw?.close();
        raw = await connectRaw(gateway.url, user.token);
        tally.connections++;
      }
      const seen = raw.frames.length;
      if (frame.text) raw.send(frame.text);
      for (const binary of frame.binaries) raw.send(binary);
      tally.frames++;
      tally.binaries += frame.binaries.length;
      // A probe behind it: its ack proves the connection took the frame and still serves.
      const probe = 900_000_000 + n;
      raw.send(`42${probe}["probe"]`);
      const answered = await Promise.race([
        raw.waitFor((f) => f.startsWith(`43${probe}[`), 10_000).then(() => true),
        raw.closed.then(() => false),
      ]);
      if (answered) tally.survived++;
      else tally.closed++;
      tally.acks += raw.frames
        .slice(seen)
        .filter((f) => /^4[36]\d/.test(f) && !f.startsWith(`43${probe}`)).length;
    }
    raw?.close();
    console.log(
      `raw frame fuzz (seed ${PROPERTY_SEED}): ${tally.frames} frames (+${tally.binaries} binary) ` +
        `over ${tally.connections} connections: ${tally.survived} answered and the connection ` +
        `kept, ${tally.closed} closed that connection (protocol errors), ${tally.acks} acks ` +
        'to the frames themselves; process up',
    );

    expect(tally.survived + tally.closed).toBe(FRAMES);
    expect(gateway.child.exitCode).toBeNull();
    // Nothing escaped a listener: no guard had to catch anything, the backstop even less.
    expect(gateway.output()).not.toMatch(/internal error ref=|caught by the backstop/);
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
    const socket = await connect(gateway.url, user.token);
    expect(await emitAck(socket, 'removeContact', { email: 'nobody@example.com' })).toEqual({
      status: 'ERROR',
      error: 'not a contact',
      code: 'not_a_contact',
    });
    socket.close();
  }, 60_000);

  it('answers broken long-polling requests with 400, never with a crash', async () => {
    const base = `${gateway.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const requests: [string, RequestInit][] = [
      [`${base}&sid=nope`, {}],
      [`${gateway.url}/socket.io/?EIO=3&transport=polling`, {}],
      [`${gateway.url}/socket.io/?EIO=4&transport=carrier-pigeon`, {}],
      [`${base}&sid=${sid}`, { method: 'POST', body: '40{"token":1}\u001e42[1,{}]\u001e4x' }],
      [`${base}&sid=${sid}`, { method: 'POST', body: 'b' + 'A'.repeat(1000) }],
      [`${base}&sid=${encodeURIComponent('../../etc')}`, { method: 'POST', body: '1' }],
    ];
    const statuses: number[] = [];
    for (const [url, init] of requests) statuses.push((await fetch(url, init)).status);
    expect(statuses).toEqual([400, 400, 400, 200, 200, 400]);
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
  });
});
