import 'reflect-metadata';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { getMetadataStorage } from 'class-validator';
import { Socket } from 'socket.io-client';
import { ConnectionGateway } from '../apps/gateway/src/connection.gateway';
import { ContactsGateway } from '../apps/gateway/src/contacts.gateway';
import { GroupsGateway } from '../apps/gateway/src/groups.gateway';
import { MessagesGateway } from '../apps/gateway/src/messages.gateway';
import { SessionGateway } from '../apps/gateway/src/session.gateway';
import { chatMessage } from './support/chat';
import { connect, emitAck, postJson, registerUser, TestUser } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { startTestApp, testConfig, TestApp } from './support/test-app';

const LONE = 'x\udfff'; // a low surrogate with no high one before it
const GROUP_ID = 'abcdefabcdefabcdefabcdef';
const KEY = Buffer.from('wrapped-group-key').toString('base64');

/** A well-formed payload of every client → server event, every field filled. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  sendContactRequest: { email: 'someone@example.com' },
  acceptContactRequest: { email: 'someone@example.com' },
  declineContactRequest: { email: 'someone@example.com' },
  removeContact: { email: 'someone@example.com' },
  contactChatMessage: chatMessage('someone@example.com', 'ciphertext', { clientMessageId: 'c1' }),
  createGroup: { name: 'Group', description: 'about', encryptedGroupKey: KEY },
  sendGroupRequest: { groupId: GROUP_ID, encryptedGroupKey: KEY, email: 'someone@example.com' },
  cancelGroupRequest: { groupId: GROUP_ID, email: 'someone@example.com' },
  acceptGroupRequest: { groupId: GROUP_ID },
  declineGroupRequest: { groupId: GROUP_ID },
  leaveGroup: { groupId: GROUP_ID },
  removeGroupMember: { groupId: GROUP_ID, email: 'someone@example.com' },
  promoteGroupMember: { groupId: GROUP_ID, email: 'someone@example.com' },
  groupChatMessage: {
    ...chatMessage('x@example.com', 'ciphertext', { clientMessageId: 'c2' }),
    to: undefined,
    groupId: GROUP_ID,
  },
  renewToken: { token: 'a.b.c' },
};

/** Every handled event with the properties its DTO validates (Nest and class-validator metadata). */
function handledEvents(): Map<string, string[]> {
  const events = new Map<string, string[]>();
  const gateways = [
    ConnectionGateway,
    ContactsGateway,
    GroupsGateway,
    MessagesGateway,
    SessionGateway,
  ];
  for (const gateway of gateways) {
    const proto = gateway.prototype as unknown as Record<string, unknown>;
    for (const method of Object.getOwnPropertyNames(proto)) {
      const fn = proto[method];
      if (typeof fn !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn)) continue;
      const types = Reflect.getMetadata('design:paramtypes', proto, method) as unknown[];
      const dto = types.find(
        (t) =>
          typeof t === 'function' &&
          getMetadataStorage().getTargetValidationMetadatas(t, '', true, false).length > 0,
      ) as (new () => object) | undefined;
      const fields = dto
        ? getMetadataStorage()
            .getTargetValidationMetadatas(dto, '', true, false)
            .map((m) => m.propertyName)
        : [];
      events.set(Reflect.getMetadata(MESSAGE_METADATA, fn) as string, [...new Set(fields)].sort());
    }
  }
  return events;
}

describe('identities and well-formed text (real PostgreSQL, real sockets)', () => {
  let db: TestDatabase;
  let app: TestApp;
  let user: TestUser;
  let socket: Socket;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(testConfig(db.url));
    user = await registerUser(app.url, { sharedKeys: true });
    socket = await connect(app.url, user.token);
  });
  afterAll(async () => {
    socket?.close();
    await app?.close();
    await db?.drop();
  });

  const register = (fields: Record<string, unknown>) =>
    postJson(app.url, '/auth/register', {
      name: 'Someone',
      password: 'long enough password',
      publicKey: user.publicKey,
      ...fields,
    });

  it('treats a full-width ｘ as x: no second account, and it finds the first one', async () => {
    const email = `xavier.${Date.now()}@example.com`;
    expect((await register({ name: 'Xavier', email })).status).toBe(201);
    const twin = await register({ name: 'Twin', email: `ｘ${email.slice(1)}` });
    expect([twin.status, twin.body.message]).toEqual([409, 'email is already registered']);
    const login = await postJson(app.url, '/auth/login', {
      email: `ｘ${email.slice(1).toUpperCase()}`,
      password: 'long enough password',
    });
    expect(login.status).toBe(200);
    const ack = await emitAck(socket, 'sendContactRequest', { email: `ｘ${email.slice(1)}` });
    expect(ack).toMatchObject({ status: 'OK', contactData: { name: 'Xavier', email } });
  });

  it('keeps an internationalised domain in punycode, whichever form is typed', async () => {
    const local = `anna.${Date.now()}`;
    const created = await register({ email: `${local}@Bücher.example` });
    expect([created.status, (created.body.user as { email: string }).email]).toEqual([
      201,
      `${local}@xn--bcher-kva.example`,
    ]);
    expect((await register({ email: `${local}@xn--bcher-kva.example` })).status).toBe(409);
    const login = await postJson(app.url, '/auth/login', {
      email: `${local}@bücher.example`,
      password: 'long enough password',
    });
    expect(login.status).toBe(200);
  });

  it.each([
    ['a right-to-left override', 'Bob\u202efdp.exe'],
    ['a bidi isolate', 'Bob\u2067'],
    ['a control character', 'Bob\u0007'],
  ])('refuses a user or group name holding %s', async (_label, name) => {
    const message = 'name must not contain control or bidirectional override characters';
    const res = await register({ name, email: `n${Date.now()}@example.com` });
    expect([res.status, res.body.message]).toEqual([400, message]);
    expect(await emitAck(socket, 'createGroup', { name, encryptedGroupKey: KEY })).toEqual({
      status: 'ERROR',
      error: message,
      code: 'validation',
    });
  });

  it('covers every event and DTO field in its samples', () => {
    const handled = handledEvents();
    expect([...handled.keys()].sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const [event, fields] of handled) {
      const sample = Object.keys(SAMPLES[event]).filter((k) => SAMPLES[event][k] !== undefined);
      expect([event, sample.sort()]).toEqual([event, fields]);
    }
  });

  it('refuses a lone surrogate in every string field of every event (validation, not internal)', async () => {
    expect(
      await emitAck(socket, 'createGroup', { name: 'g\udfff', encryptedGroupKey: KEY }),
    ).toEqual({
      status: 'ERROR',
      error: 'name must not contain lone surrogates',
      code: 'validation',
    });
    for (const [event, sample] of Object.entries(SAMPLES)) {
      for (const field of Object.keys(sample).filter((k) => sample[k] !== undefined)) {
        const payload = {
          ...sample,
          [field]: typeof sample[field] === 'string' ? LONE : { kind: LONE },
        };
        expect([event, await emitAck(socket, event, payload)]).toEqual([
          event,
          {
            status: 'ERROR',
            error: `${field} must not contain lone surrogates`,
            code: 'validation',
          },
        ]);
      }
    }
    expect(socket.connected).toBe(true);
  });

  it.each([
    [
      '/auth/register',
      { name: 'n', email: 'a@example.com', password: 'long enough password', publicKey: 'AAAA' },
    ],
    ['/auth/login', { email: 'a@example.com', password: 'long enough password' }],
    ['/auth/refresh', { refreshToken: 'token' }],
    ['/auth/logout', { refreshToken: 'token' }],
    [
      '/auth/password',
      { currentPassword: 'long enough password', newPassword: 'long enough password' },
    ],
  ])('refuses a lone surrogate in every field of POST %s with 400', async (path, body) => {
    for (const field of Object.keys(body)) {
      const res = await postJson(app.url, path, { ...body, [field]: LONE });
      expect([path, res.status, res.body]).toEqual([
        path,
        400,
        {
          statusCode: 400,
          message: `${field} must not contain lone surrogates`,
          error: 'Bad Request',
          code: 'validation',
        },
      ]);
    }
  });
});
