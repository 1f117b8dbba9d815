import { webcrypto } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { Ack, connect, emitAck, registerUser, TestUser, uniqueEmail } from './support/clients';
import { connectRecording, Fleet, RecordingSocket, startFleet } from './support/fleet';

/**
 * The gateway as a fleet: two real processes sharing one database and one Redis, users spread
 * over both, every exchange end-to-end encrypted with WebCrypto as a browser client would do it.
 *
 * Wire formats used by these clients (the server never looks inside them):
 * - 1:1 `message`: base64(RSA-OAEP-2048/SHA-256(plaintext)) under the recipient's public key.
 * - group key: a fresh AES-256-GCM key; `encryptedGroupKey` = base64(RSA-OAEP(raw key)) under the
 *   public key of the member it is meant for.
 * - group `message`: base64(iv (12 bytes) || AES-GCM ciphertext with its 16-byte tag).
 */

const { subtle } = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type Payload = Record<string, unknown>;

const TEST_TIMEOUT = 60_000;
const QUIET_MS = 600; // how long "nothing more arrives" is watched for

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const profile = (u: TestUser) => ({ name: u.name, email: u.email, publicKey: u.publicKey });
const byEmail = (a: { email: unknown }, b: { email: unknown }) =>
  String(a.email).localeCompare(String(b.email));
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const GROUP_ID = /^[0-9a-f]{24}$/;

// ---------------------------------------------------------------- client-side cryptography

/** RSA-OAEP encryption with a public key as the protocol carries it (base64 DER spki). */
async function rsaEncrypt(spkiBase64: string, data: Uint8Array): Promise<string> {
  const key = await subtle.importKey(
    'spki',
    fromB64(spkiBase64),
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['encrypt'],
  );
  return b64(await subtle.encrypt({ name: 'RSA-OAEP' }, key, data));
}

async function rsaDecrypt(privateKey: CryptoKey, ciphertext: string): Promise<Uint8Array> {
  return new Uint8Array(
    await subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, fromB64(ciphertext)),
  );
}

function newGroupKey(): Promise<CryptoKey> {
  return subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

async function rawKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('raw', key));
}

/** The group key wrapped for one member (RSA-OAEP of the raw key under their public key). */
async function wrapGroupKey(groupKey: CryptoKey, memberPublicKey: string): Promise<string> {
  return rsaEncrypt(memberPublicKey, await rawKey(groupKey));
}

async function unwrapGroupKey(privateKey: CryptoKey, wrapped: string): Promise<CryptoKey> {
  const raw = await rsaDecrypt(privateKey, wrapped);
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, true, ['encrypt', 'decrypt']);
}

async function aesEncrypt(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = webcrypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext)),
  );
  return b64(Buffer.concat([iv, sealed]));
}

async function aesDecrypt(key: CryptoKey, message: string): Promise<string> {
  const bytes = fromB64(message);
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, 12) },
    key,
    bytes.subarray(12),
  );
  return new TextDecoder().decode(plain);
}

// ---------------------------------------------------------------- assertions on acks

function expectOk(ack: Ack): void {
  expect(ack).toMatchObject({ status: 'OK' });
}

function expectError(ack: Ack, error: RegExp): void {
  // toEqual: an internal error would also carry a `ref`, and must not pass for a refusal.
  expect(ack).toEqual({
    status: 'ERROR',
    error: expect.stringMatching(error),
    code: expect.any(String),
  });
}

async function health(url: string): Promise<number> {
  return (await fetch(`${url}/health/ready`)).status;
}

describe('a fleet of two gateways', () => {
  let fleet: Fleet;
  let g0: string;
  let g1: string;
  const sockets: { close(): void }[] = [];

  /** A recording socket, closed after the test. */
  async function openAs(url: string, user: TestUser): Promise<RecordingSocket> {
    const socket = await connectRecording(url, user.token);
    sockets.push(socket);
    return socket;
  }

  /** A plain socket (no recording), closed after the test. */
  async function plainAs(url: string, user: TestUser): Promise<Socket> {
    const socket = await connect(url, user.token);
    sockets.push(socket);
    return socket;
  }

  const register = (name: string) => registerUser(g0, { name, email: uniqueEmail(name) });

  /**
   * Makes a and b contacts: a asks (by default from gateway 0), b accepts (by default from
   * gateway 1). Returns the public key each side received for the other in contactData.
   */
  async function befriend(a: TestUser, b: TestUser, aSocket?: Socket, bSocket?: Socket) {
    const sa = aSocket ?? (await connect(g0, a.token));
    const sb = bSocket ?? (await connect(g1, b.token));
    try {
      const sent = await emitAck(sa, 'sendContactRequest', { email: b.email });
      expect(sent).toEqual({ status: 'OK', contactData: profile(b) });
      const accepted = await emitAck(sb, 'acceptContactRequest', { email: a.email });
      expect(accepted).toEqual({ status: 'OK', contactData: profile(a) });
      return {
        keyOfB: (sent.contactData as { publicKey: string }).publicKey,
        keyOfA: (accepted.contactData as { publicKey: string }).publicKey,
      };
    } finally {
      if (!aSocket) sa.close();
      if (!bSocket) sb.close();
    }
  }

  /** The user's onlineChats, sorted so it can be compared with toEqual. */
  async function onlineChatsOf(socket: RecordingSocket) {
    const chats = (await socket.waitFor('onlineChats')) as {
      contacts: string[];
      groups: { groupId: string; persons: string[] }[];
    };
    return {
      contacts: [...chats.contacts].sort(),
      groups: chats.groups
        .map((g) => ({ groupId: g.groupId, persons: [...g.persons].sort() }))
        .sort((a, b) => a.groupId.localeCompare(b.groupId)),
    };
  }

  const sortedGroups = (groups: { groupId: string; persons: string[] }[]) =>
    groups
      .map((g) => ({ groupId: g.groupId, persons: [...g.persons].sort() }))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));

  beforeAll(async () => {
    // The malformed-payload barrage sends hundreds of events a second from one socket.
    fleet = await startFleet(2, { RATE_LIMIT_SOCKET_EVENTS: 'off' });
    [g0, g1] = fleet.gateways.map((g) => g.url);
  }, TEST_TIMEOUT);

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await fleet?.stop();
  }, TEST_TIMEOUT);

  // ------------------------------------------------------------------------------------------
  it(
    'contact requests are sent, accepted and declined across instances',
    async () => {
      const [alice, bob, carol, dave, erin] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'].map(register),
      );
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      const c = await openAs(g0, carol);

      // Alice (gateway 0) asks Bob (gateway 1); both see the other's public data.
      const sent = await emitAck(a.socket, 'sendContactRequest', { email: bob.email });
      expect(sent).toEqual({ status: 'OK', contactData: profile(bob) });
      expect(await b.waitFor('contactRequestReceived', (p) => p.email === alice.email)).toEqual(
        profile(alice),
      );

      const accepted = await emitAck(b.socket, 'acceptContactRequest', { email: alice.email });
      expect(accepted).toEqual({ status: 'OK', contactData: profile(alice) });
      expect(await a.waitFor('contactRequestAccepted', (p) => p.email === bob.email)).toEqual(
        profile(bob),
      );

      // Carol (gateway 0) asks Bob, who declines: nothing is accepted, the request is gone.
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: bob.email }));
      await b.waitFor('contactRequestReceived', (p) => p.email === carol.email);
      expect(await emitAck(b.socket, 'declineContactRequest', { email: carol.email })).toEqual({
        status: 'OK',
      });
      expectError(
        await emitAck(b.socket, 'acceptContactRequest', { email: carol.email }),
        /no pending contact request/,
      );
      expectError(
        await emitAck(c.socket, 'contactChatMessage', {
          date: '01/01/2026',
          time: '10:00',
          messageType: 'text',
          message: 'aGk=',
          to: bob.email,
        }),
        /not a contact/,
      );
      // Declined, so Carol may ask again.
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: bob.email }));

      // Two users asking each other: the second request is an acceptance.
      const e = await openAs(g1, erin);
      expectOk(await emitAck(c.socket, 'sendContactRequest', { email: erin.email }));
      await e.waitFor('contactRequestReceived', (p) => p.email === carol.email);
      expect(await emitAck(e.socket, 'sendContactRequest', { email: carol.email })).toEqual({
        status: 'OK',
        contactData: profile(carol),
      });
      expect(await c.waitFor('contactRequestAccepted', (p) => p.email === erin.email)).toEqual(
        profile(erin),
      );
      expectError(
        await emitAck(c.socket, 'sendContactRequest', { email: erin.email }),
        /already a contact/,
      );

      // A request made while the target is offline is delivered on connect, after onlineChats.
      expect(await emitAck(a.socket, 'sendContactRequest', { email: dave.email })).toEqual({
        status: 'OK',
        contactData: profile(dave),
      });
      const d = await openAs(g1, dave);
      const received = await d.waitFor('contactRequestReceived');
      expect(received).toEqual(profile(alice));
      expect(d.events[0].event).toBe('onlineChats');
      expect(d.events[0].payload).toEqual({ contacts: [], groups: [] });
      expect(d.all('contactRequestReceived')).toHaveLength(1);
      expectOk(await emitAck(d.socket, 'acceptContactRequest', { email: alice.email }));
      expect(await a.waitFor('contactRequestAccepted', (p) => p.email === dave.email)).toEqual(
        profile(dave),
      );
      // Accepted requests are not replayed on the next connection.
      const d2 = await openAs(g0, dave);
      expect(await onlineChatsOf(d2)).toEqual({ contacts: [alice.email], groups: [] });
      await sleep(QUIET_MS);
      expect(d2.all('contactRequestReceived')).toEqual([]);

      // removeContact: the other side is told, and they are no longer contacts.
      expect(await emitAck(a.socket, 'removeContact', { email: dave.email })).toEqual({
        status: 'OK',
      });
      expect(await d.waitFor('contactRemoved')).toEqual({ email: alice.email });
      expect(await d2.waitFor('contactRemoved')).toEqual({ email: alice.email });
      expectError(
        await emitAck(d.socket, 'removeContact', { email: alice.email }),
        /not a contact/,
      );
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'relays RSA-OAEP encrypted 1:1 messages between instances, live and queued',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(register));
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      const sent = await emitAck(a.socket, 'sendContactRequest', { email: bob.email });
      const bobKey = (sent.contactData as { publicKey: string }).publicKey;
      const accepted = await emitAck(b.socket, 'acceptContactRequest', { email: alice.email });
      const aliceKey = (accepted.contactData as { publicKey: string }).publicKey;
      await a.waitFor('contactRequestAccepted');

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
        message: await rsaEncrypt(bobKey, new TextEncoder().encode(plaintext)),
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
      expect(new Date(got.sentAt as string).toISOString()).toBe(got.sentAt);
      const decrypted = await rsaDecrypt(bob.privateKey, got.message as string);
      expect(new TextDecoder().decode(decrypted)).toBe(plaintext);

      // Resending with the same clientMessageId is idempotent.
      const again = await emitAck(a.socket, 'contactChatMessage', outgoing);
      expect(again).toEqual({ status: 'OK', id: ack.id, sentAt: ack.sentAt });

      // The reply, with a DD/MM/YY date and a scalar messageType, goes the other way.
      const reply = {
        date: '25/11/26',
        time: '00:05',
        messageType: 'text',
        message: await rsaEncrypt(aliceKey, new TextEncoder().encode('Hi Alice!')),
        to: alice.email,
      };
      const replyAck = await emitAck(b.socket, 'contactChatMessage', reply);
      expectOk(replyAck);
      const gotReply = await a.waitFor('contactChatMessage', (p) => p.id === replyAck.id);
      expect(gotReply).toMatchObject({
        from: bob.email,
        date: '25/11/26',
        time: '00:05',
        messageType: 'text',
      });
      expect(
        new TextDecoder().decode(await rsaDecrypt(alice.privateKey, gotReply.message as string)),
      ).toBe('Hi Alice!');

      // Queued while Bob is offline, delivered after onlineChats when he connects elsewhere.
      b.close();
      await a.waitFor('offline', (p) => p.email === bob.email);
      const queuedType = { kind: 'image', size: [640, 480] };
      const queuedAck = await emitAck(a.socket, 'contactChatMessage', {
        date: '29/02/2028',
        time: '23:59',
        messageType: queuedType,
        message: await rsaEncrypt(bobKey, new TextEncoder().encode('while you were away')),
        to: bob.email,
      });
      expectOk(queuedAck);
      const b2 = await openAs(g0, bob);
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
      expect(
        new TextDecoder().decode(await rsaDecrypt(bob.privateKey, queued.message as string)),
      ).toBe('while you were away');
      expect(b2.events[0].event).toBe('onlineChats');
      // The first message was acknowledged by Bob's first socket: it is not delivered again.
      expect(b2.all('contactChatMessage').map((p) => p.id)).toEqual([queuedAck.id]);

      // Nobody receives their own messages.
      await sleep(QUIET_MS);
      expect(a.all('contactChatMessage').map((p) => p.from)).toEqual([bob.email]);
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'groups: wrapped AES-256-GCM key, invitation, membership and encrypted group chat',
    async () => {
      const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map(register));
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      const { keyOfB: bobKey } = await befriend(alice, bob, a.socket, b.socket);
      const { keyOfB: carolKey } = await befriend(alice, carol, a.socket);

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
      const bobGroupKey = await unwrapGroupKey(
        bob.privateKey,
        invitation.encryptedGroupKey as string,
      );
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
      const text = 'Hello group 👋';
      const fromAlice = {
        groupId,
        date: '24/11/2026',
        time: '16:24',
        messageType,
        message: await aesEncrypt(groupKey, text),
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
      expect(await aesDecrypt(bobGroupKey, atBob.message as string)).toBe(text);

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
      const c = await openAs(g1, carol);
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

      // Promotion, removal and leaving are told to every member, on both instances.
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
      );
      expectOk(await emitAck(a.socket, 'leaveGroup', { groupId }));
      for (const s of [a, b]) {
        expect(await s.waitFor('groupMemberLeft', (p) => p.email === alice.email)).toEqual({
          groupId,
          email: alice.email,
          removed: false,
        });
      }
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'presence is fleet-wide: online once, offline with the last tab, onlineChats per connection',
    async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave'].map(register),
      );
      // Set-up: Alice is a contact of Bob, Carol and Dave (Bob and Carol are not contacts of
      // each other); G1 = {Alice, Bob, Carol}, G2 = {Alice}, G3 = {Alice, Dave}.
      const a1 = await openAs(g0, alice);
      const setup = {
        bob: await connect(g1, bob.token),
        carol: await connect(g1, carol.token),
        dave: await connect(g0, dave.token),
      };
      await befriend(alice, bob, a1.socket, setup.bob);
      await befriend(alice, carol, a1.socket, setup.carol);
      await befriend(alice, dave, a1.socket, setup.dave);
      const groupKey = await newGroupKey();
      const makeGroup = async (name: string, members: [TestUser, Socket][]) => {
        const created = await emitAck(a1.socket, 'createGroup', {
          name,
          encryptedGroupKey: await wrapGroupKey(groupKey, alice.publicKey),
        });
        const groupId = created.groupId as string;
        for (const [user, socket] of members) {
          expectOk(
            await emitAck(a1.socket, 'sendGroupRequest', {
              groupId,
              email: user.email,
              encryptedGroupKey: await wrapGroupKey(groupKey, user.publicKey),
            }),
          );
          expectOk(await emitAck(socket, 'acceptGroupRequest', { groupId }));
        }
        return groupId;
      };
      const G1 = await makeGroup('G1', [
        [bob, setup.bob],
        [carol, setup.carol],
      ]);
      const G2 = await makeGroup('G2', []);
      const G3 = await makeGroup('G3', [[dave, setup.dave]]);
      for (const s of Object.values(setup)) s.close();
      for (const u of [bob, carol, dave]) await a1.waitFor('offline', (p) => p.email === u.email);
      const mark = a1.events.length;
      const after = (s: RecordingSocket, from: number, event: string, email: string) =>
        s.events.slice(from).filter((e) => e.event === event && e.payload.email === email);

      // Carol (gateway 1) comes online: Alice hears it; Carol sees Alice online.
      const c1 = await openAs(g1, carol);
      await a1.waitFor('online', (p) => p.email === carol.email);
      expect(await onlineChatsOf(c1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G1, persons: [alice.email] }],
      });

      // Bob's first tab (gateway 1): his contact Alice and his co-member Carol hear it.
      const b1 = await openAs(g1, bob);
      expect(await a1.waitFor('online', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      expect(await c1.waitFor('online', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      expect(await onlineChatsOf(b1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G1, persons: [alice.email, carol.email].sort() }],
      });

      // Bob's second tab (gateway 0): no second `online`.
      const b2 = await openAs(g0, bob);
      expect(await onlineChatsOf(b2)).toEqual(await onlineChatsOf(b1));
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'online', bob.email)).toHaveLength(1);
      expect(c1.all('online').filter((p) => p.email === bob.email)).toHaveLength(1);

      // Closing one tab: Bob is still online.
      b1.close();
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'offline', bob.email)).toHaveLength(0);
      expect(c1.all('offline')).toEqual([]);

      // A fresh connection of Alice (gateway 1) sees exactly who is online, per chat.
      const a2 = await openAs(g1, alice);
      expect(await onlineChatsOf(a2)).toEqual({
        contacts: [bob.email, carol.email].sort(),
        groups: sortedGroups([
          { groupId: G1, persons: [bob.email, carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [] },
        ]),
      });
      // Alice was online already: her second tab announces nothing.
      await sleep(QUIET_MS);
      expect(c1.all('online').filter((p) => p.email === alice.email)).toEqual([]);
      expect(b2.all('online').filter((p) => p.email === alice.email)).toEqual([]);

      // Closing the last tab: `offline`, once, everywhere.
      b2.close();
      expect(await a1.waitFor('offline', (p) => p.email === bob.email)).toEqual({
        email: bob.email,
      });
      await a2.waitFor('offline', (p) => p.email === bob.email);
      await c1.waitFor('offline', (p) => p.email === bob.email);
      await sleep(QUIET_MS);
      expect(after(a1, mark, 'offline', bob.email)).toHaveLength(1);

      const a3 = await openAs(g0, alice);
      expect(await onlineChatsOf(a3)).toEqual({
        contacts: [carol.email],
        groups: sortedGroups([
          { groupId: G1, persons: [carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [] },
        ]),
      });

      // Dave comes online: every tab of Alice hears it; Carol (no relation to Dave) does not.
      const d1 = await openAs(g1, dave);
      for (const s of [a1, a2, a3]) await s.waitFor('online', (p) => p.email === dave.email);
      expect(await onlineChatsOf(d1)).toEqual({
        contacts: [alice.email],
        groups: [{ groupId: G3, persons: [alice.email] }],
      });
      const a4 = await openAs(g1, alice);
      expect(await onlineChatsOf(a4)).toEqual({
        contacts: [carol.email, dave.email].sort(),
        groups: sortedGroups([
          { groupId: G1, persons: [carol.email] },
          { groupId: G2, persons: [] },
          { groupId: G3, persons: [dave.email] },
        ]),
      });
      await sleep(QUIET_MS);
      expect(c1.all('online').map((p) => p.email)).toEqual([bob.email]);
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'refuses what the rules forbid, with a clear error, over the real sockets',
    async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave'].map(register),
      );
      const a = await plainAs(g0, alice);
      const b = await plainAs(g1, bob);
      const c = await plainAs(g0, carol);
      const d = await plainAs(g1, dave);
      await befriend(alice, bob, a, b);
      await befriend(bob, carol, b, c);
      const msg = (to: string) => ({
        date: '01/01/2026',
        time: '12:00',
        messageType: 'text',
        message: 'aGVsbG8=',
        to,
      });

      // Contacts.
      expectError(
        await emitAck(a, 'sendContactRequest', { email: 'nobody.here@example.com' }),
        /no user with that email/,
      );
      expectError(await emitAck(a, 'sendContactRequest', { email: alice.email }), /yourself/);
      expectError(
        await emitAck(a, 'sendContactRequest', { email: alice.email.toUpperCase() }),
        /yourself/,
      );
      expectError(
        await emitAck(a, 'sendContactRequest', { email: bob.email }),
        /already a contact/,
      );
      expectError(
        await emitAck(b, 'sendContactRequest', { email: alice.email }),
        /already a contact/,
      );
      expectOk(await emitAck(a, 'sendContactRequest', { email: carol.email }));
      expectError(
        await emitAck(a, 'sendContactRequest', { email: carol.email }),
        /already pending/,
      );
      expectError(
        await emitAck(a, 'acceptContactRequest', { email: carol.email }),
        /no pending contact request/,
      ); // one cannot accept one's own request
      expectOk(await emitAck(c, 'acceptContactRequest', { email: alice.email }));
      expectError(
        await emitAck(c, 'acceptContactRequest', { email: alice.email }),
        /no pending contact request/,
      );
      expectError(
        await emitAck(a, 'acceptContactRequest', { email: 'nobody.here@example.com' }),
        /no pending contact request/,
      );
      expectError(
        await emitAck(a, 'declineContactRequest', { email: dave.email }),
        /no pending contact request/,
      );
      expectError(
        await emitAck(a, 'declineContactRequest', { email: 'nobody.here@example.com' }),
        /no pending contact request/,
      );
      expectError(await emitAck(a, 'removeContact', { email: dave.email }), /not a contact/);
      expectError(
        await emitAck(a, 'removeContact', { email: 'nobody.here@example.com' }),
        /not a contact/,
      );

      // 1:1 messages.
      expectError(await emitAck(a, 'contactChatMessage', msg(dave.email)), /not a contact/);
      expectError(
        await emitAck(a, 'contactChatMessage', msg('nobody.here@example.com')),
        /not a contact/,
      );
      expectError(await emitAck(a, 'contactChatMessage', msg(alice.email)), /not a contact/);

      // Groups. Alice: admin of G; Bob: member; Carol: contact of Alice, invited; Dave: outsider.
      const key = b64(webcrypto.getRandomValues(new Uint8Array(256)));
      const groupId = (await emitAck(a, 'createGroup', { name: 'G', encryptedGroupKey: key }))
        .groupId as string;
      expectOk(
        await emitAck(a, 'sendGroupRequest', { groupId, encryptedGroupKey: key, email: bob.email }),
      );
      expectOk(await emitAck(b, 'acceptGroupRequest', { groupId }));
      const missing = '0123456789abcdef01234567';
      const invite = (email: string, gid = groupId) => ({
        groupId: gid,
        encryptedGroupKey: key,
        email,
      });

      expectError(await emitAck(b, 'sendGroupRequest', invite(carol.email)), /only an admin/);
      expectError(await emitAck(d, 'sendGroupRequest', invite(alice.email)), /not a member/);
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(bob.email, missing)),
        /no such group/,
      );
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(dave.email)),
        /only invite your contacts/,
      );
      expectError(
        await emitAck(a, 'sendGroupRequest', invite('nobody.here@example.com')),
        /only invite your contacts/,
      );
      expectError(await emitAck(a, 'sendGroupRequest', invite(alice.email)), /contacts|member/);
      expectError(await emitAck(a, 'sendGroupRequest', invite(bob.email)), /already a member/);
      expectOk(await emitAck(a, 'sendGroupRequest', invite(carol.email)));
      expectError(await emitAck(a, 'sendGroupRequest', invite(carol.email)), /already invited/);

      expectError(await emitAck(d, 'acceptGroupRequest', { groupId }), /no pending invitation/);
      expectError(await emitAck(b, 'acceptGroupRequest', { groupId }), /no pending invitation/);
      expectError(
        await emitAck(d, 'acceptGroupRequest', { groupId: missing }),
        /no pending invitation/,
      );
      expectError(await emitAck(d, 'declineGroupRequest', { groupId }), /no pending invitation/);

      const groupMsg = {
        groupId,
        date: '01/01/2026',
        time: '12:00',
        messageType: 'text',
        message: 'aGk=',
      };
      expectError(await emitAck(d, 'groupChatMessage', groupMsg), /not a member/);
      expectError(await emitAck(c, 'groupChatMessage', groupMsg), /not a member/); // only invited
      expectError(
        await emitAck(a, 'groupChatMessage', { ...groupMsg, groupId: missing }),
        /not a member/,
      );

      expectError(
        await emitAck(b, 'removeGroupMember', { groupId, email: alice.email }),
        /only an admin/,
      );
      expectError(
        await emitAck(b, 'promoteGroupMember', { groupId, email: bob.email }),
        /only an admin/,
      );
      expectError(
        await emitAck(d, 'removeGroupMember', { groupId, email: bob.email }),
        /not a member/,
      );
      expectError(
        await emitAck(d, 'promoteGroupMember', { groupId, email: bob.email }),
        /not a member/,
      );
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: carol.email }),
        /no member with that email/,
      ); // invited is not a member
      expectError(
        await emitAck(a, 'promoteGroupMember', { groupId, email: dave.email }),
        /no member with that email/,
      );
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: alice.email }),
        /leaveGroup/,
      );
      expectError(
        await emitAck(a, 'promoteGroupMember', { groupId, email: alice.email }),
        /already an admin/,
      );
      expectError(await emitAck(d, 'leaveGroup', { groupId }), /not a member/);
      expectError(await emitAck(c, 'leaveGroup', { groupId }), /not a member/);
      expectError(await emitAck(a, 'leaveGroup', { groupId: missing }), /not a member/);

      // Carol declines; she can no longer accept. Bob, once removed, can no longer write.
      expectOk(await emitAck(c, 'declineGroupRequest', { groupId }));
      expectError(await emitAck(c, 'acceptGroupRequest', { groupId }), /no pending invitation/);
      expectError(await emitAck(c, 'declineGroupRequest', { groupId }), /no pending invitation/);
      expectOk(await emitAck(a, 'removeGroupMember', { groupId, email: bob.email }));
      expectError(await emitAck(b, 'groupChatMessage', groupMsg), /not a member/);
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: bob.email }),
        /no member/,
      );

      // Removed contacts can no longer message each other, in either direction.
      expectOk(await emitAck(a, 'contactChatMessage', msg(bob.email)));
      expectOk(await emitAck(b, 'removeContact', { email: alice.email }));
      expectError(await emitAck(a, 'contactChatMessage', msg(bob.email)), /not a contact/);
      expectError(await emitAck(b, 'contactChatMessage', msg(alice.email)), /not a contact/);
      expectError(await emitAck(a, 'removeContact', { email: bob.email }), /not a contact/);

      for (const s of [a, b, c, d]) expect(s.connected).toBe(true);
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'answers every malformed payload on every event with an ERROR ack and stays up',
    async () => {
      const [mallory, trent] = await Promise.all(['Mallory', 'Trent'].map(register));
      const m = await openAs(g0, mallory);
      const t = await openAs(g1, trent);
      await befriend(mallory, trent, m.socket, t.socket);
      let disconnected = false;
      m.socket.on('disconnect', () => (disconnected = true));

      const key = b64(webcrypto.getRandomValues(new Uint8Array(256)));
      const ownGroup = (
        await emitAck(m.socket, 'createGroup', { name: 'Mine', encryptedGroupKey: key })
      ).groupId as string;
      // Baselines are valid but harmless if a mutation were (wrongly) let through.
      const nobody = 'nobody.here@example.com';
      const noGroup = 'abcdefabcdefabcdefabcdef';
      const chat = {
        date: '24/11/2026',
        time: '16:24',
        messageType: { kind: 'text' },
        message: 'aGk=',
      };
      type Kind =
        | 'email'
        | 'groupId'
        | 'key'
        | 'name'
        | 'description'
        | 'date'
        | 'time'
        | 'messageType'
        | 'message'
        | 'clientMessageId';
      const events: { event: string; base: Payload; fields: Record<string, Kind> }[] = [
        { event: 'sendContactRequest', base: { email: nobody }, fields: { email: 'email' } },
        { event: 'acceptContactRequest', base: { email: nobody }, fields: { email: 'email' } },
        { event: 'declineContactRequest', base: { email: nobody }, fields: { email: 'email' } },
        { event: 'removeContact', base: { email: nobody }, fields: { email: 'email' } },
        {
          event: 'contactChatMessage',
          base: { ...chat, to: trent.email, clientMessageId: 'barrage' },
          fields: {
            date: 'date',
            time: 'time',
            messageType: 'messageType',
            message: 'message',
            to: 'email',
            clientMessageId: 'clientMessageId',
          },
        },
        {
          event: 'createGroup',
          base: { name: 'Barrage', description: 'd', encryptedGroupKey: key },
          fields: { name: 'name', description: 'description', encryptedGroupKey: 'key' },
        },
        {
          event: 'sendGroupRequest',
          base: { groupId: noGroup, encryptedGroupKey: key, email: trent.email },
          fields: { groupId: 'groupId', encryptedGroupKey: 'key', email: 'email' },
        },
        { event: 'acceptGroupRequest', base: { groupId: noGroup }, fields: { groupId: 'groupId' } },
        {
          event: 'declineGroupRequest',
          base: { groupId: noGroup },
          fields: { groupId: 'groupId' },
        },
        { event: 'leaveGroup', base: { groupId: noGroup }, fields: { groupId: 'groupId' } },
        {
          event: 'removeGroupMember',
          base: { groupId: noGroup, email: trent.email },
          fields: { groupId: 'groupId', email: 'email' },
        },
        {
          event: 'promoteGroupMember',
          base: { groupId: noGroup, email: trent.email },
          fields: { groupId: 'groupId', email: 'email' },
        },
        {
          event: 'groupChatMessage',
          base: { ...chat, groupId: ownGroup },
          fields: {
            groupId: 'groupId',
            date: 'date',
            time: 'time',
            messageType: 'messageType',
            message: 'message',
          },
        },
      ];

      const sqlInjection = "'; DROP TABLE users; --";
      const script = '<script>alert(1)</script>';
      const wrongTypes = [42, true, {}, [], { $gt: '' }];
      const bad: Record<Kind, unknown[]> = {
        email: [
          ...wrongTypes,
          null,
          '',
          '   ',
          'not-an-email',
          sqlInjection,
          `${sqlInjection}@example.com`,
          '{"$gt":""}',
          script,
          `${script}@example.com`,
          `${'a'.repeat(250)}@example.com`,
          'a@b@example.com',
          'x@example.com\u0000',
        ],
        groupId: [
          ...wrongTypes,
          null,
          '',
          noGroup.toUpperCase(),
          noGroup.slice(1),
          `${noGroup}0`,
          'g'.repeat(24),
          ` ${noGroup.slice(1)}`,
          sqlInjection,
          script,
          '{"$gt":""}',
        ],
        key: [
          ...wrongTypes,
          null,
          '',
          'not base64!',
          'QUJD=',
          script,
          sqlInjection,
          'A'.repeat(2048),
        ],
        name: [...wrongTypes, null, '', '    ', 'x'.repeat(300)],
        description: [42, true, {}, [], 'x'.repeat(600)],
        date: [
          ...wrongTypes,
          null,
          '',
          '31/02/2026',
          '29/02/2025',
          '2026-01-01',
          '1/1/2026',
          '00/01/2026',
          '01/13/2026',
          '24/11/2026 ',
          '24/11/026',
          sqlInjection,
        ],
        time: [...wrongTypes, null, '', '24:00', '9:5', '12:60', '12:00:00', '1200', script],
        messageType: ['x'.repeat(2048), { blob: 'x'.repeat(2048) }, Array(600).fill(1)],
        message: [...wrongTypes, null, '', 'x'.repeat(70 * 1024)],
        clientMessageId: [...wrongTypes, '', 'x'.repeat(65)],
      };
      // Values that must be refused when the field is absent.
      const required: Record<Kind, boolean> = {
        email: true,
        groupId: true,
        key: true,
        name: true,
        description: false,
        date: true,
        time: true,
        messageType: true,
        message: true,
        clientMessageId: false,
      };

      const failures: string[] = [];
      let sent = 0;
      const probe = async (
        event: string,
        label: string,
        expected: RegExp,
        ...args: unknown[]
      ): Promise<void> => {
        sent++;
        let ack: Ack;
        try {
          ack = await emitAck(m.socket, event, ...args);
        } catch (err) {
          failures.push(`${event} ${label}: no ack (${(err as Error).message})`);
          return;
        }
        const ok =
          ack?.status === 'ERROR' &&
          typeof ack.error === 'string' &&
          expected.test(ack.error) &&
          ['validation', 'message_too_large'].includes(ack.code as string) &&
          Object.keys(ack).length === 3;
        if (!ok) failures.push(`${event} ${label}: ${JSON.stringify(ack).slice(0, 200)}`);
      };
      const describeValue = (v: unknown) => {
        const s = JSON.stringify(v) ?? String(v);
        return s.length > 40 ? `${s.slice(0, 30)}…(${s.length})` : s;
      };

      for (const { event, base, fields } of events) {
        const notObject = /^payload must be an object$/;
        for (const payload of ['str', 42, null, [], [base], true, 0, '']) {
          await probe(event, `payload ${describeValue(payload)}`, notObject, payload);
        }
        await probe(event, 'no payload', notObject);
        await probe(event, 'two arguments', notObject, base, base);
        await probe(event, 'empty object', /.+/, {});
        await probe(event, 'unknown field', /property extra should not exist/, {
          ...base,
          extra: 1,
        });
        await probe(event, 'isAdmin smuggled', /property isAdmin should not exist/, {
          ...base,
          isAdmin: true,
        });
        await probe(event, 'userId smuggled', /property userId should not exist/, {
          ...base,
          userId: '00000000-0000-0000-0000-000000000000',
        });
        // Own "__proto__"/"constructor" keys (JSON-shaped prototype pollution): next test.
        for (const [field, kind] of Object.entries(fields)) {
          const fieldName = new RegExp(`\\b${field}\\b`);
          if (required[kind]) {
            const { [field]: _omit, ...rest } = base;
            await probe(event, `${field} missing`, fieldName, rest);
          }
          for (const value of bad[kind]) {
            await probe(event, `${field}=${describeValue(value)}`, fieldName, {
              ...base,
              [field]: value,
            });
          }
        }
      }
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(400);

      // Still connected, never dropped, still served; both processes alive and ready.
      expect(disconnected).toBe(false);
      expect(m.socket.connected).toBe(true);
      const ack = await emitAck(m.socket, 'contactChatMessage', {
        ...chat,
        message: 'c3RpbGwgaGVyZQ==',
        to: trent.email,
      });
      expectOk(ack);
      expect(await t.waitFor('contactChatMessage', (p) => p.id === ack.id)).toMatchObject({
        from: mallory.email,
        message: 'c3RpbGwgaGVyZQ==',
      });
      // Nothing from the barrage reached Trent or created anything.
      expect(t.all('contactChatMessage')).toHaveLength(1);
      expect(t.all('groupRequestReceived')).toEqual([]);
      expect(t.all('contactRemoved')).toEqual([]);
      for (const gateway of fleet.gateways) {
        expect(gateway.child.exitCode).toBeNull();
        expect(await health(gateway.url)).toBe(200);
      }
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'refuses own __proto__/constructor keys like any unknown field, and empty wrapped group keys',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(register));
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      await befriend(alice, bob, a.socket, b.socket);
      const key = b64(webcrypto.getRandomValues(new Uint8Array(256)));
      const chat = { date: '24/11/2026', time: '16:24', messageType: 'text', message: 'aGk=' };
      /** `base` with an own `key` property, exactly as JSON.parse (and so socket.io) makes it. */
      const withOwn = (base: Payload, key: string, inner: string) =>
        JSON.parse(`{"${key}":${inner},${JSON.stringify(base).slice(1)}`) as Payload;
      const groupId = (
        await emitAck(a.socket, 'createGroup', { name: 'G', encryptedGroupKey: key })
      ).groupId as string;

      // Valid payloads but for one own "__proto__"/"constructor" key. AppValidationPipe promises
      // that unknown fields are refused, never stripped silently; class-transformer drops these
      // two keys before forbidNonWhitelisted can see them.
      const refused = {
        status: 'ERROR',
        error: expect.stringMatching(/should not exist/),
        code: 'validation',
      };
      const pollution = '{"isAdmin":true,"x":1}';
      const ctor = '{"prototype":{"isAdmin":true}}';
      // The group key must be there: "" is no RSA-OAEP ciphertext (the DTO says 256–512 bytes).
      const emptyKey = {
        status: 'ERROR',
        error: expect.stringMatching(/encryptedGroupKey/),
        code: 'validation',
      };
      const observed = {
        createGroupProto: await emitAck(
          a.socket,
          'createGroup',
          withOwn({ name: 'P', encryptedGroupKey: key }, '__proto__', pollution),
        ),
        createGroupConstructor: await emitAck(
          a.socket,
          'createGroup',
          withOwn({ name: 'P', encryptedGroupKey: key }, 'constructor', ctor),
        ),
        contactChatMessageProto: await emitAck(
          a.socket,
          'contactChatMessage',
          withOwn({ ...chat, to: bob.email }, '__proto__', pollution),
        ),
        groupChatMessageConstructor: await emitAck(
          a.socket,
          'groupChatMessage',
          withOwn({ ...chat, groupId }, 'constructor', ctor),
        ),
        createGroupEmptyKey: await emitAck(a.socket, 'createGroup', {
          name: 'E',
          encryptedGroupKey: '',
        }),
        sendGroupRequestEmptyKey: await emitAck(a.socket, 'sendGroupRequest', {
          groupId,
          encryptedGroupKey: '',
          email: bob.email,
        }),
      };
      expect(observed).toEqual({
        createGroupProto: refused,
        createGroupConstructor: refused,
        contactChatMessageProto: refused,
        groupChatMessageConstructor: refused,
        createGroupEmptyKey: emptyKey,
        sendGroupRequestEmptyKey: emptyKey,
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'text with NUL characters is relayed verbatim or refused by validation, never an internal error',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(register));
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      await befriend(alice, bob, a.socket, b.socket);
      const key = b64(webcrypto.getRandomValues(new Uint8Array(256)));
      const chat = {
        date: '24/11/2026',
        time: '16:24',
        messageType: 'text',
        message: 'aGk=',
        to: bob.email,
      };
      const nul = 'a\u0000b';
      const acks = {
        message: await emitAck(a.socket, 'contactChatMessage', { ...chat, message: nul }),
        messageType: await emitAck(a.socket, 'contactChatMessage', { ...chat, messageType: nul }),
        clientMessageId: await emitAck(a.socket, 'contactChatMessage', {
          ...chat,
          clientMessageId: nul,
        }),
        name: await emitAck(a.socket, 'createGroup', { name: nul, encryptedGroupKey: key }),
        description: await emitAck(a.socket, 'createGroup', {
          name: 'N',
          description: nul,
          encryptedGroupKey: key,
        }),
      };
      const verdicts = Object.fromEntries(
        Object.entries(acks).map(([field, ack]) => [
          field,
          ack.status === 'OK' || new RegExp(`\\b${field}\\b`).test(ack.error ?? '')
            ? 'fine'
            : JSON.stringify(ack),
        ]),
      );
      expect(verdicts).toEqual({
        message: 'fine',
        messageType: 'fine',
        clientMessageId: 'fine',
        name: 'fine',
        description: 'fine',
      });
      // What was accepted arrives unchanged.
      for (const field of ['message', 'messageType'] as const) {
        const ack = acks[field];
        if (ack.status !== 'OK') continue;
        const got = await b.waitFor('contactChatMessage', (p) => p.id === ack.id);
        expect(got[field]).toBe(nul);
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'relays any JSON messageType verbatim, keys named like prototype internals included',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(register));
      const a = await openAs(g0, alice);
      const b = await openAs(g1, bob);
      await befriend(alice, bob, a.socket, b.socket);
      const messageTypes = [
        JSON.parse('{"kind":"text","constructor":"Message"}'),
        JSON.parse('{"kind":"text","meta":{"__proto__":{"isAdmin":true}}}'),
        JSON.parse('[{"constructor":{"prototype":{"x":1}}}]'),
        { kind: 'text', emoji: '🔐', list: [1, 'two', null, { three: [3] }] },
      ];
      const relayed: string[] = [];
      for (const messageType of messageTypes) {
        const ack = await emitAck(a.socket, 'contactChatMessage', {
          date: '24/11/2026',
          time: '16:24',
          messageType,
          message: 'aGk=',
          to: bob.email,
        });
        expectOk(ack);
        const got = await b.waitFor('contactChatMessage', (p) => p.id === ack.id);
        relayed.push(JSON.stringify(got.messageType));
      }
      expect(relayed).toEqual(messageTypes.map((t) => JSON.stringify(t)));
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'a message above MAX_MESSAGE_BYTES but under 1 MiB gets an ERROR ack and the socket stays',
    async () => {
      const [sender, friend] = await Promise.all(['Sender', 'Friend'].map(register));
      const s = await openAs(g0, sender);
      const f = await openAs(g1, friend);
      await befriend(sender, friend, s.socket, f.socket);
      const big = {
        date: '24/11/2026',
        time: '16:24',
        messageType: 'text',
        message: 'x'.repeat(200 * 1024),
        to: friend.email,
      };
      expect(await emitAck(s.socket, 'contactChatMessage', big)).toEqual({
        status: 'ERROR',
        error: 'message too large (max 65536 bytes)',
        code: 'message_too_large',
      });
      expect(s.socket.connected).toBe(true);
      expectOk(await emitAck(s.socket, 'contactChatMessage', { ...big, message: 'c21hbGw=' }));
    },
    TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'a frame above 1 MiB closes only that connection',
    async () => {
      const [victim, friend] = await Promise.all(['Victim', 'Friend'].map(register));
      const other = await openAs(g1, victim); // the same user's other tab, same instance
      const f = await openAs(g1, friend);
      await befriend(victim, friend, other.socket, f.socket);
      const throwaway = await plainAs(g1, victim);
      const closed = new Promise<string>((resolve) => throwaway.once('disconnect', resolve));

      throwaway.emit('contactChatMessage', {
        date: '24/11/2026',
        time: '16:24',
        messageType: 'text',
        message: 'x'.repeat(2 * 1024 * 1024),
        to: friend.email,
      });
      const reason = await closed;
      expect(reason).toMatch(/transport (close|error)/);

      await sleep(QUIET_MS);
      expect(other.socket.connected).toBe(true);
      expect(f.socket.connected).toBe(true);
      expect(f.all('contactChatMessage')).toEqual([]);
      // The victim's other tab was not taken offline by the dropped one.
      expect(f.all('offline')).toEqual([]);
      const ack = await emitAck(other.socket, 'contactChatMessage', {
        date: '24/11/2026',
        time: '16:25',
        messageType: 'text',
        message: 'c21hbGw=',
        to: friend.email,
      });
      expectOk(ack);
      await f.waitFor('contactChatMessage', (p) => p.id === ack.id);
      for (const gateway of fleet.gateways) {
        expect(gateway.child.exitCode).toBeNull();
        expect(await health(gateway.url)).toBe(200);
      }
      // And the same user can connect again on that instance.
      const again = await openAs(g1, victim);
      expect(await onlineChatsOf(again)).toEqual({ contacts: [friend.email], groups: [] });
    },
    TEST_TIMEOUT,
  );
});
