import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { makeContacts, makeGroup } from './support/chat';
import { Ack, connect, emitAck, registerUser } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { GatewayProcess, startGateway } from './support/gateway-process';
import {
  fieldsOf,
  HTTP_BODIES,
  hostilePayload,
  PROPERTY_SEED,
  socketEvents,
} from './support/hostile';
import { TEST_JWT_SECRET } from './support/test-app';

/**
 * The hostile payloads of dto-properties.spec.ts, a bounded number per event and body, against a
 * live gateway process: each gets an answer with a message (OK, or ERROR with a code other than
 * `internal`), the socket stays connected and the process keeps serving.
 */
const SOCKET_RUNS = 25;
const HTTP_RUNS = 25;

describe('hostile payloads against a live gateway (fast-check)', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;
  let socket: Socket;
  let disconnects = 0;
  /** Values that pass validation (and name real users and a real group). */
  let valid: Record<string, unknown[]>;
  const tally = { sent: 0, ok: 0, refused: 0, internal: 0 };

  beforeAll(async () => {
    db = await createTestDatabase();
    // Hundreds of connections and events from one user: this tests hostile input, not the limits.
    gateway = await startGateway({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_SOCKET_EVENTS: 'off',
      RATE_LIMIT_CONNECTIONS_PER_USER: 'off',
    });
    // Someone to write to and a group to write in, so that payloads that pass validation reach
    // the services too.
    const [mallory, trent] = await Promise.all(
      ['Mallory', 'Trent'].map((name) => registerUser(gateway.url, { name, sharedKeys: true })),
    );
    socket = await connect(gateway.url, mallory.token);
    const other = await connect(gateway.url, trent.token);
    await makeContacts(socket, other, mallory.email, trent.email);
    const groupId = await makeGroup(socket, [{ email: trent.email, socket: other }]);
    valid = {
      email: [trent.email, mallory.email],
      to: [trent.email],
      groupId: [groupId],
      name: ['Name'],
      description: ['about'],
      encryptedGroupKey: ['a2V5'],
      date: ['01/12/2026'],
      time: ['12:00'],
      messageType: ['text', { kind: 'text' }],
      message: ['aGk='],
      clientMessageId: ['c1'],
      password: ['correct horse battery'],
      publicKey: [mallory.publicKey],
    };
    other.close();
    socket.on('disconnect', () => disconnects++);
  });
  afterAll(async () => {
    console.log(
      `live property runs (seed ${PROPERTY_SEED}): ${tally.sent} sent, ${tally.ok} OK, ` +
        `${tally.refused} refused with a message, ${tally.internal} internal errors, ` +
        `${disconnects} disconnects`,
    );
    socket?.close();
    await gateway?.stop();
    await db?.drop();
  });

  it.each(socketEvents().map((t) => [t.name, t] as const))(
    'socket event %s: an answer with a message, the socket connected',
    async (event, target) => {
      await fc.assert(
        fc.asyncProperty(
          hostilePayload(fieldsOf(target.dto), { maxHuge: 5_000, maxDepth: 1_000 }, valid),
          async (payload) => {
            tally.sent++;
            const ack: Ack = await emitAck(socket, event, payload);
            if (ack.status === 'OK') tally.ok++;
            else if (ack.code === 'internal') tally.internal++;
            else tally.refused++;
            expect(ack.status === 'OK' || (ack.status === 'ERROR' && ack.code !== 'internal')).toBe(
              true,
            );
            if (ack.status === 'ERROR') expect(ack.error).toEqual(expect.stringMatching(/\S/));
            expect(disconnects).toBe(0);
          },
        ),
        { seed: PROPERTY_SEED, numRuns: SOCKET_RUNS },
      );
    },
  );

  it.each(HTTP_BODIES.map((t) => [t.name, t] as const))(
    'HTTP body of %s: 2xx or 4xx with a message, never 5xx',
    async (path, target) => {
      await fc.assert(
        fc.asyncProperty(
          hostilePayload(fieldsOf(target.dto), { maxHuge: 300_000, maxDepth: 1_000 }, valid),
          async (payload) => {
            tally.sent++;
            const res = await fetch(`${gateway.url}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(payload) ?? 'null',
            });
            const body = (await res.json()) as { message?: unknown; code?: unknown };
            if (res.status < 300) tally.ok++;
            else if (res.status >= 500) tally.internal++;
            else tally.refused++;
            expect([path, res.status < 500]).toEqual([path, true]);
            if (res.status >= 400) expect(body.message).toEqual(expect.stringMatching(/\S/));
          },
        ),
        { seed: PROPERTY_SEED, numRuns: HTTP_RUNS },
      );
    },
  );

  it('leaves the process up and serving', async () => {
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
    expect(await emitAck(socket, 'leaveGroup', { groupId: 'f'.repeat(24) })).toEqual({
      status: 'ERROR',
      error: 'you are not a member of that group',
      code: 'not_group_member',
    });
  });
});
