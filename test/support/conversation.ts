import { connect, emitAck, registerUser, TestUser, uniqueEmail } from './clients';
import { makeContacts } from './chat';
import {
  aesDecrypt,
  aesEncrypt,
  newGroupKey,
  rawKey,
  rsaDecryptText,
  rsaEncrypt,
  unwrapGroupKey,
  wrapGroupKey,
} from './crypto';
import { expectError, expectOk, sleep } from './expect';
import { connectRecording, RecordingSocket } from './fleet';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const GROUP_ID = /^[0-9a-f]{24}$/;
const QUIET_MS = 600;

const profile = (u: TestUser) => ({ name: u.name, email: u.email, publicKey: u.publicKey });
const byEmail = (a: { email: unknown }, b: { email: unknown }) =>
  String(a.email).localeCompare(String(b.email));

/**
 * "The whole story", end-to-end encrypted with WebCrypto as a browser client would do it, spread
 * over the gateways given (any number, of any fleet: Redis, Redis Cluster, …): Alice, Bob and
 * Carol become contacts; 1:1 RSA-OAEP messages go live, idempotently and queued for an offline
 * recipient; a group with an AES-256-GCM key wrapped for each member is created, joined
 * (Carol while offline), written to and read by everyone; then promotion, removal and leaving.
 * Asserts every step with jest's expect; opens and closes its own sockets.
 */
export async function playConversation(gatewayUrls: string[]): Promise<void> {
  const at = (i: number) => gatewayUrls[i % gatewayUrls.length];
  const [alice, bob, carol] = await Promise.all(
    ['Alice', 'Bob', 'Carol'].map((name) =>
      registerUser(at(0), { name, email: uniqueEmail(name) }),
    ),
  );
  const open: { close(): void }[] = [];
  const openAs = async (i: number, user: TestUser): Promise<RecordingSocket> => {
    const socket = await connectRecording(at(i), user.token);
    open.push(socket);
    return socket;
  };
  try {
    const a = await openAs(0, alice);
    const b = await openAs(1, bob);
    await directMessages(alice, bob, a, b, (i) => openAs(i, bob));
    await groupChat(alice, bob, carol, a, await openAs(1, bob), (i) => openAs(i, carol), at(1));
  } finally {
    for (const socket of open) socket.close();
  }
}

async function directMessages(
  alice: TestUser,
  bob: TestUser,
  a: RecordingSocket,
  b: RecordingSocket,
  reopenBob: (gateway: number) => Promise<RecordingSocket>,
): Promise<void> {
  const { keyOfA: aliceKey, keyOfB: bobKey } = await makeContacts(
    a.socket,
    b.socket,
    alice.email,
    bob.email,
  );
  expect([aliceKey, bobKey]).toEqual([alice.publicKey, bob.publicKey]);
  expect(await a.waitFor('contactRequestAccepted')).toEqual(profile(bob));

  const plaintext = 'Hello Bob, this is end-to-end encrypted 🔐 — ça marche';
  const messageType = {
    kind: 'text',
    version: 2,
    meta: { lang: 'fr', tags: ['a', 'b'], nested: { ok: true, nothing: null, n: -1.5 } },
    attachments: [],
  };
  const outgoing = {
    date: '24/11/2026',
    time: '16:24',
    messageType,
    message: await rsaEncrypt(bobKey, plaintext),
    to: bob.email,
    clientMessageId: 'alice-1',
  };
  const ack = await emitAck(a.socket, 'contactChatMessage', outgoing);
  expect(ack).toEqual({
    status: 'OK',
    id: expect.any(String),
    sentAt: expect.stringMatching(ISO_DATE),
  });
  const got = await b.waitFor('contactChatMessage', (p) => p.id === ack.id);
  expect(got).toEqual({
    id: ack.id,
    messageType,
    message: outgoing.message,
    date: '24/11/2026',
    time: '16:24',
    from: alice.email,
    sentAt: ack.sentAt,
  });
  expect(await rsaDecryptText(bob.privateKey, got.message as string)).toBe(plaintext);

  // Resending with the same clientMessageId is idempotent.
  expect(await emitAck(a.socket, 'contactChatMessage', outgoing)).toEqual({
    status: 'OK',
    id: ack.id,
    sentAt: ack.sentAt,
  });

  // The reply, with a DD/MM/YY date and a scalar messageType, goes the other way.
  const replyAck = await emitAck(b.socket, 'contactChatMessage', {
    date: '25/11/26',
    time: '00:05',
    messageType: 'text',
    message: await rsaEncrypt(aliceKey, 'Hi Alice!'),
    to: alice.email,
  });
  expectOk(replyAck);
  const gotReply = await a.waitFor('contactChatMessage', (p) => p.id === replyAck.id);
  expect(gotReply).toMatchObject({
    from: bob.email,
    date: '25/11/26',
    time: '00:05',
    messageType: 'text',
  });
  expect(await rsaDecryptText(alice.privateKey, gotReply.message as string)).toBe('Hi Alice!');

  // Queued while Bob is offline, delivered after onlineChats when he connects elsewhere.
  b.close();
  await a.waitFor('offline', (p) => p.email === bob.email);
  const queuedType = { kind: 'image', size: [640, 480] };
  const queuedAck = await emitAck(a.socket, 'contactChatMessage', {
    date: '29/02/2028',
    time: '23:59',
    messageType: queuedType,
    message: await rsaEncrypt(bobKey, 'while you were away'),
    to: bob.email,
  });
  expectOk(queuedAck);
  const b2 = await reopenBob(0);
  const queued = await b2.waitFor('contactChatMessage', (p) => p.id === queuedAck.id);
  expect(queued).toEqual({
    id: queuedAck.id,
    messageType: queuedType,
    message: expect.any(String),
    date: '29/02/2028',
    time: '23:59',
    from: alice.email,
    sentAt: queuedAck.sentAt,
  });
  expect(await rsaDecryptText(bob.privateKey, queued.message as string)).toBe(
    'while you were away',
  );
  expect(b2.events[0].event).toBe('onlineChats');
  // The first message was acknowledged by Bob's first socket: it is not delivered again.
  expect(b2.all('contactChatMessage').map((p) => p.id)).toEqual([queuedAck.id]);

  // Nobody receives their own messages.
  await sleep(QUIET_MS);
  expect(a.all('contactChatMessage').map((p) => p.from)).toEqual([bob.email]);
  b2.close();
}

async function groupChat(
  alice: TestUser,
  bob: TestUser,
  carol: TestUser,
  a: RecordingSocket,
  b: RecordingSocket,
  openCarol: (gateway: number) => Promise<RecordingSocket>,
  carolsFirstGateway: string,
): Promise<void> {
  const carolSetup = await connect(carolsFirstGateway, carol.token);
  const { keyOfB: carolKey } = await makeContacts(a.socket, carolSetup, alice.email, carol.email);
  carolSetup.close();
  const bobKey = bob.publicKey; // Bob is a contact of Alice's already: she holds his key

  const groupKey = await newGroupKey();
  const created = await emitAck(a.socket, 'createGroup', {
    name: 'The Bowl Group',
    description: 'This is description of group.',
    encryptedGroupKey: await wrapGroupKey(groupKey, alice.publicKey),
  });
  expect(created).toEqual({ status: 'OK', groupId: expect.stringMatching(GROUP_ID) });
  const groupId = created.groupId as string;

  // Invite Bob with the key wrapped for the public key his contactData carried.
  const wrappedForBob = await wrapGroupKey(groupKey, bobKey);
  expect(
    await emitAck(a.socket, 'sendGroupRequest', {
      groupId,
      encryptedGroupKey: wrappedForBob,
      email: bob.email,
    }),
  ).toEqual({ status: 'OK' });
  const invitation = await b.waitFor('groupRequestReceived', (p) => p.groupId === groupId);
  expect(invitation).toEqual({
    name: 'The Bowl Group',
    description: 'This is description of group.',
    groupId,
    encryptedGroupKey: wrappedForBob,
  });
  const bobGroupKey = await unwrapGroupKey(bob.privateKey, invitation.encryptedGroupKey as string);
  expect(await rawKey(bobGroupKey)).toEqual(await rawKey(groupKey));

  const joined = await emitAck(b.socket, 'acceptGroupRequest', { groupId });
  expect(joined.status).toBe('OK');
  expect((joined.members as { email: string }[]).sort(byEmail)).toEqual(
    [
      { ...profile(alice), isAdmin: true },
      { ...profile(bob), isAdmin: false },
    ].sort(byEmail),
  );
  expect(await a.waitFor('newGroupMember', (p) => p.email === bob.email)).toEqual({
    groupId,
    ...profile(bob),
  });

  // Alice → group, decrypted by Bob with the unwrapped key.
  const messageType = { kind: 'text', meta: { mentions: [bob.email], edited: false } };
  const fromAlice = {
    groupId,
    date: '24/11/2026',
    time: '16:24',
    messageType,
    message: await aesEncrypt(groupKey, 'Hello group 👋'),
  };
  const aliceAck = await emitAck(a.socket, 'groupChatMessage', fromAlice);
  expect(aliceAck).toEqual({
    status: 'OK',
    id: expect.any(String),
    sentAt: expect.stringMatching(ISO_DATE),
  });
  const atBob = await b.waitFor('groupChatMessage', (p) => p.id === aliceAck.id);
  expect(atBob).toEqual({
    id: aliceAck.id,
    groupId,
    messageType,
    message: fromAlice.message,
    date: '24/11/2026',
    time: '16:24',
    from: alice.email,
    sentAt: aliceAck.sentAt,
  });
  expect(await aesDecrypt(bobGroupKey, atBob.message as string)).toBe('Hello group 👋');

  // Bob → group, decrypted by Alice.
  const bobAck = await emitAck(b.socket, 'groupChatMessage', {
    groupId,
    date: '25/11/26',
    time: '08:00',
    messageType: 'text',
    message: await aesEncrypt(bobGroupKey, 'Hi Alice'),
  });
  expectOk(bobAck);
  const atAlice = await a.waitFor('groupChatMessage', (p) => p.id === bobAck.id);
  expect(atAlice).toMatchObject({ groupId, from: bob.email, messageType: 'text' });
  expect(await aesDecrypt(groupKey, atAlice.message as string)).toBe('Hi Alice');

  // Carol is invited while offline: the invitation waits for her connection.
  const wrappedForCarol = await wrapGroupKey(groupKey, carolKey);
  expectOk(
    await emitAck(a.socket, 'sendGroupRequest', {
      groupId,
      encryptedGroupKey: wrappedForCarol,
      email: carol.email,
    }),
  );
  const c = await openCarol(1);
  const carolInvite = await c.waitFor('groupRequestReceived');
  expect(c.events[0].event).toBe('onlineChats');
  expect(carolInvite).toEqual({
    name: 'The Bowl Group',
    description: 'This is description of group.',
    groupId,
    encryptedGroupKey: wrappedForCarol,
  });
  const carolGroupKey = await unwrapGroupKey(carol.privateKey, wrappedForCarol);
  const carolJoined = await emitAck(c.socket, 'acceptGroupRequest', { groupId });
  expect((carolJoined.members as { email: string }[]).map((m) => m.email).sort()).toEqual(
    [alice.email, bob.email, carol.email].sort(),
  );
  for (const s of [a, b]) {
    expect(await s.waitFor('newGroupMember', (p) => p.email === carol.email)).toEqual({
      groupId,
      ...profile(carol),
    });
  }
  // Earlier messages are not for Carol; a new one is, and she can read it.
  const later = await emitAck(a.socket, 'groupChatMessage', {
    groupId,
    date: '26/11/2026',
    time: '09:30',
    messageType: 'text',
    message: await aesEncrypt(groupKey, 'welcome Carol'),
  });
  const atCarol = await c.waitFor('groupChatMessage', (p) => p.id === later.id);
  expect(await aesDecrypt(carolGroupKey, atCarol.message as string)).toBe('welcome Carol');
  await b.waitFor('groupChatMessage', (p) => p.id === later.id);

  // Senders never receive their own group messages.
  await sleep(QUIET_MS);
  expect(a.all('groupChatMessage').map((p) => p.from)).toEqual([bob.email]);
  expect(b.all('groupChatMessage').map((p) => p.from)).toEqual([alice.email, alice.email]);
  expect(c.all('groupChatMessage').map((p) => p.id)).toEqual([later.id]);

  // Promotion, removal and leaving are told to every member, wherever they are connected.
  expectOk(await emitAck(a.socket, 'promoteGroupMember', { groupId, email: bob.email }));
  for (const s of [a, b, c]) {
    expect(await s.waitFor('groupMemberPromoted')).toEqual({ groupId, email: bob.email });
  }
  expectOk(await emitAck(b.socket, 'removeGroupMember', { groupId, email: carol.email }));
  for (const s of [a, b, c]) {
    expect(await s.waitFor('groupMemberLeft', (p) => p.email === carol.email)).toEqual({
      groupId,
      email: carol.email,
      removed: true,
    });
  }
  expectError(
    await emitAck(c.socket, 'groupChatMessage', { ...fromAlice, messageType: 'text' }),
    /not a member/,
    'not_group_member',
  );
  expectOk(await emitAck(a.socket, 'leaveGroup', { groupId }));
  for (const s of [a, b]) {
    expect(await s.waitFor('groupMemberLeft', (p) => p.email === alice.email)).toEqual({
      groupId,
      email: alice.email,
      removed: false,
    });
  }
}
