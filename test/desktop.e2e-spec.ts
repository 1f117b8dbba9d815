import { Client } from 'pg';
import { connectError, emitAck, postJson, uniqueEmail } from './support/clients';
import {
  connectDesktop,
  decryptData,
  decryptSym,
  DesktopApi,
  desktopKeyPair,
  DesktopSocket,
  desktopTimestamp,
  encryptData,
  encryptSym,
  generateKey,
} from './support/desktop-client';
import { expectOk, sleep, waitUntil } from './support/expect';
import { FLEET_TEST_TIMEOUT, profile, QUIET_MS, useFleet } from './support/fleet-suite';

/**
 * Bowl Desktop, unmodified, against a fleet of two gateways in compatibility mode: everything it
 * sends and reads is what bowl-org/bowl-desktop sends and reads (see support/desktop-client.ts).
 */
const PREFIX = '/bowl-desktop-4f7c';
const PASSWORD = 'Correct-Horse-9';
const LOOKUPS_PER_ADDRESS = 5;

/** A desktop user: its machine (address), HTTP client and keys. */
interface Desktop {
  name: string;
  email: string;
  api: DesktopApi;
  keys: ReturnType<typeof desktopKeyPair>;
  token: string;
}

let machines = 0;
const nextAddress = () => `198.51.100.${++machines}`;

describe('Bowl Desktop in compatibility mode, across two gateways', () => {
  const f = useFleet(2, {
    DESKTOP_COMPAT: 'true',
    DESKTOP_COMPAT_PREFIX: PREFIX,
    TRUST_PROXY: '1',
    RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP: `${LOOKUPS_PER_ADDRESS}/1h`,
  });
  const sockets: DesktopSocket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  /** Signs up through `url` as the desktop does (it makes the key pair first), and logs in. */
  async function desktopUser(url: string, name: string): Promise<Desktop> {
    const api = new DesktopApi(url, PREFIX, nextAddress());
    const keys = desktopKeyPair();
    const email = uniqueEmail(name.toLowerCase());
    const signUp = await api.signUp({
      name,
      email,
      password: PASSWORD,
      public_key: keys.publicKey,
    });
    expect(signUp.body).toEqual({
      status: 'SUCCESS',
      msg: 'Account created: you can log in.',
      data: '',
    });
    expect(signUp.status).toBe(200);
    const login = await api.logIn(email, PASSWORD);
    expect([login.status, login.body]).toEqual([
      200,
      {
        status: 'SUCCESS',
        msg: 'Authentication success!',
        data: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        user: { publicKey: keys.publicKey, name },
      },
    ]);
    return { name, email, api, keys, token: (login.body as { data: string }).data };
  }

  async function open(url: string, user: Desktop): Promise<DesktopSocket> {
    const socket = await connectDesktop(url, PREFIX, user.token);
    sockets.push(socket);
    return socket;
  }

  /** The user's acknowledged position in their queue, as stored. */
  async function ackedSeq(email: string): Promise<number> {
    const pg = new Client({ connectionString: f.fleet.db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ seq: number }>(
        `SELECT coalesce(c.acked_seq, 0)::int AS seq
           FROM users u LEFT JOIN delivery_cursors c ON c.user_id = u.id
          WHERE u.email = $1`,
        [email],
      );
      return rows[0].seq;
    } finally {
      await pg.end();
    }
  }

  it(
    'two desktop users sign up, log in, change keys, find each other, chat 1:1 and in a group',
    async () => {
      const [g0, g1] = f.urls;
      const ann = await desktopUser(g0, 'Ann');
      const ben = await desktopUser(g1, 'Ben');

      // Ann logs in on a new machine: the desktop makes a new key pair and uploads its public key.
      ann.keys = desktopKeyPair();
      expect(await ann.api.updateUser(ann.token, { public_key: ann.keys.publicKey })).toMatchObject(
        { status: 200, body: { status: 'SUCCESS', msg: 'User updated!', data: '' } },
      );
      // They look each other up without a token, as the desktop does.
      expect((await ben.api.getUserDetails(ann.email)).body).toEqual({
        public_key: ann.keys.publicKey,
        name: 'Ann',
      });
      expect((await ann.api.getUserDetails(ben.email)).body).toEqual({
        public_key: ben.keys.publicKey,
        name: 'Ben',
      });

      const a = await open(g0, ann);
      let b = await open(g1, ben);
      expect(await a.waitFor('onlineChats')).toEqual({ contacts: [], groups: [] });
      expect(await b.waitFor('onlineChats')).toEqual({ contacts: [], groups: [] });

      // Contacts: every payload a JSON string.
      expect(await a.send('sendContactRequest', { email: ben.email })).toEqual({
        status: 'OK',
        contactData: { name: 'Ben', email: ben.email, publicKey: ben.keys.publicKey },
      });
      expect(await b.waitFor('contactRequestReceived')).toEqual({
        name: 'Ann',
        email: ann.email,
        publicKey: ann.keys.publicKey,
      });
      expect(await b.send('acceptContactRequest', { email: ann.email })).toEqual({
        status: 'OK',
        contactData: { name: 'Ann', email: ann.email, publicKey: ann.keys.publicKey },
      });
      await a.waitFor('online', (p) => p.email === ben.email);
      await b.waitFor('online', (p) => p.email === ann.email);

      // 1:1: PKCS#1 v1.5 under the recipient's key, an unpadded date; delivered as a JSON string
      // with no ack callback.
      const sent = await a.send('contactChatMessage', {
        ...desktopTimestamp(new Date(2023, 8, 1, 9, 5)),
        messageType: '',
        message: encryptData(ben.keys.publicKey, 'hello Ben'),
        to: ben.email,
      });
      expect(sent).toEqual({ status: 'OK', id: expect.any(String), sentAt: expect.any(String) });
      await b.waitFor('contactChatMessage');
      const [delivered] = b.events.filter((e) => e.event === 'contactChatMessage');
      expect(delivered.args).toEqual([expect.any(String)]);
      const [hello] = b.messages('contactChatMessage');
      expect(hello).toEqual({
        id: sent.id,
        messageType: '',
        message: expect.any(String),
        date: '1/9/2023',
        time: '09:05',
        from: ann.email,
        sentAt: sent.sentAt,
      });
      expect(decryptData(ben.keys.privateKey, hello.message as string)).toBe('hello Ben');
      // Delivered when written: the cursor moves without any acknowledgement from the desktop.
      await waitUntil(async () => (await ackedSeq(ben.email)) === 1, 'Ben’s cursor is at 1');

      // Ben goes offline; what Ann sends meanwhile is waiting for him, in order, on any gateway.
      b.close();
      await a.waitFor('offline', (p) => p.email === ben.email);
      for (const text of ['are you there?', 'call me']) {
        expectOk(
          await a.send('contactChatMessage', {
            ...desktopTimestamp(new Date(2023, 8, 1, 9, 7)),
            messageType: '',
            message: encryptData(ben.keys.publicKey, text),
            to: ben.email,
          }),
        );
      }
      b = await open(g0, ben);
      await waitUntil(() => b.messages('contactChatMessage').length === 2, 'both are replayed');
      expect(
        b
          .messages('contactChatMessage')
          .map((m) => decryptData(ben.keys.privateKey, m.message as string)),
      ).toEqual(['are you there?', 'call me']);
      await waitUntil(async () => (await ackedSeq(ben.email)) === 3, 'Ben’s cursor is at 3');
      b.close();
      b = await open(g1, ben);
      expect(await b.waitFor('onlineChats')).toEqual({ contacts: [ann.email], groups: [] });
      await sleep(QUIET_MS);
      expect(b.messages('contactChatMessage')).toEqual([]); // not replayed: counted as delivered

      // A group made over HTTP: the key stays on Ann's desktop.
      const created = await ann.api.createGroup(ann.token, {
        name: 'Hikers',
        description: 'weekends',
      });
      expect(created).toMatchObject({
        status: 200,
        body: {
          groupId: expect.stringMatching(/^[0-9a-f]{24}$/),
          name: 'Hikers',
          description: 'weekends',
        },
      });
      const { groupId } = created.body as { groupId: string };
      const groupKey = generateKey();
      // Inviting, the desktop looks the invitee's key up and wraps the group key with it.
      const benKey = (await ann.api.getUserDetails(ben.email)).body as { public_key: string };
      expect(
        await a.send('sendGroupRequest', {
          groupId,
          encryptedGroupKey: encryptData(benKey.public_key, groupKey),
          email: ben.email,
        }),
      ).toEqual({ status: 'OK' });
      const invitation = await b.waitFor('groupRequestReceived');
      expect(invitation).toEqual({
        name: 'Hikers',
        description: 'weekends',
        groupId,
        encryptedGroupKey: expect.any(String),
      });
      expect(decryptData(ben.keys.privateKey, invitation.encryptedGroupKey as string)).toBe(
        groupKey,
      );
      // The members leave Ben out: the desktop stores him itself, under a unique key.
      expect(await b.send('acceptGroupRequest', { groupId })).toEqual({
        status: 'OK',
        members: [{ name: 'Ann', email: ann.email, publicKey: ann.keys.publicKey, isAdmin: true }],
      });
      expect(await a.waitFor('newGroupMember')).toEqual({
        groupId,
        name: 'Ben',
        email: ben.email,
        publicKey: ben.keys.publicKey,
      });

      // Group chat: AES-256-CBC with the desktop's fixed IV, a D/M/YY date.
      const groupSent = await b.send('groupChatMessage', {
        date: '5/3/26',
        time: '18:30',
        messageType: '',
        message: encryptSym(groupKey, 'summit at noon'),
        groupId,
      });
      expectOk(groupSent);
      await a.waitFor('groupChatMessage');
      expect(a.events.filter((e) => e.event === 'groupChatMessage').map((e) => e.args)).toEqual([
        [expect.any(String)],
      ]);
      const [summit] = a.messages('groupChatMessage');
      expect(summit).toEqual({
        groupId,
        id: groupSent.id,
        messageType: '',
        message: expect.any(String),
        date: '5/3/26',
        time: '18:30',
        from: ben.email,
        sentAt: groupSent.sentAt,
      });
      expect(decryptSym(groupKey, summit.message as string)).toBe('summit at noon');
    },
    FLEET_TEST_TIMEOUT,
  );

  it(
    'a desktop user and Bowl-protocol users exchange contact requests, see each other online, chat',
    async () => {
      const [g0, g1] = f.urls;
      const dora = await desktopUser(g0, 'Dora');
      const [bob, eve] = await Promise.all([f.register('Bob'), f.register('Eve')]);
      const d = await open(g0, dora);
      const b = await f.openAs(g1, bob);
      const e = await f.openAs(g0, eve);

      // The desktop asks the Bowl client (other gateway), which accepts.
      expect(await d.send('sendContactRequest', { email: bob.email })).toEqual({
        status: 'OK',
        contactData: profile(bob),
      });
      const doraProfile = { name: 'Dora', email: dora.email, publicKey: dora.keys.publicKey };
      expect(await b.waitFor('contactRequestReceived')).toEqual(doraProfile);
      expect(await emitAck(b.socket, 'acceptContactRequest', { email: dora.email })).toEqual({
        status: 'OK',
        contactData: doraProfile,
      });
      expect(await d.waitFor('contactRequestAccepted')).toEqual(profile(bob));
      expect(await d.waitFor('online', (p) => p.email === bob.email)).toEqual({ email: bob.email });
      expect(await b.waitFor('online', (p) => p.email === dora.email)).toEqual({
        email: dora.email,
      });

      // A Bowl client asks the desktop, which accepts with a JSON-string payload.
      expectOk(await emitAck(e.socket, 'sendContactRequest', { email: dora.email }));
      expect(await d.waitFor('contactRequestReceived')).toEqual(profile(eve));
      expect(await d.send('acceptContactRequest', { email: eve.email })).toEqual({
        status: 'OK',
        contactData: profile(eve),
      });
      expect(await e.waitFor('online', (p) => p.email === dora.email)).toEqual({
        email: dora.email,
      });
      await d.waitFor('online', (p) => p.email === eve.email);

      // One message stream, each socket in its own dialect: Bob's arrives at the desktop as a
      // string; Dora's reaches Bob as an object with an ack callback.
      const fromBob = await emitAck(b.socket, 'contactChatMessage', {
        date: '01/12/2026',
        time: '10:00',
        messageType: 'text',
        message: encryptData(dora.keys.publicKey, 'hi Dora'),
        to: dora.email,
      });
      await d.waitFor('contactChatMessage');
      expect(d.messages('contactChatMessage')).toEqual([
        {
          id: fromBob.id,
          messageType: 'text',
          message: expect.any(String),
          date: '01/12/2026',
          time: '10:00',
          from: bob.email,
          sentAt: fromBob.sentAt,
        },
      ]);
      const fromDora = await d.send('contactChatMessage', {
        date: '1/12/2026',
        time: '10:01',
        messageType: '',
        message: 'aGk=',
        to: bob.email,
      });
      expect(await b.waitFor('contactChatMessage')).toEqual({
        id: fromDora.id,
        messageType: '',
        message: 'aGk=',
        date: '1/12/2026',
        time: '10:01',
        from: dora.email,
        sentAt: fromDora.sentAt,
      });
      expect(b.events.find((x) => x.event === 'contactChatMessage')!.args).toEqual([
        expect.any(Object),
        expect.any(Function),
      ]);

      // Back on the other gateway, the desktop sees both online.
      d.close();
      const again = await open(g1, dora);
      const chats = (await again.waitFor('onlineChats')) as { contacts: string[] };
      expect([...chats.contacts].sort()).toEqual([bob.email, eve.email].sort());
    },
    FLEET_TEST_TIMEOUT,
  );

  it(
    'keeps Bowl’s rules: verified tokens, contacts only, admins invite, limited lookups',
    async () => {
      const [g0, g1] = f.urls;
      const [fay, gus] = await Promise.all([desktopUser(g0, 'Fay'), desktopUser(g1, 'Gus')]);
      const forged = `${fay.token.slice(0, -4)}AAAA`;

      // The header token is verified, not only decoded.
      await expect(connectDesktop(g0, PREFIX, forged, { reconnection: false })).rejects.toThrow(
        'unauthorized',
      );
      for (const reply of [
        await fay.api.updateUser(forged, { name: 'Mallory' }),
        await fay.api.createGroup('', { name: 'G', description: '' }),
      ]) {
        expect([reply.status, reply.body]).toEqual([
          401,
          { status: 'FAILURE', msg: 'unauthorized', data: '' },
        ]);
      }
      // Bad input: a clear FAILURE, not a crash.
      expect((await fay.api.updateUser(fay.token, { public_key: 'QUJD' })).body).toEqual({
        status: 'FAILURE',
        msg: 'publicKey must be base64 of a DER SubjectPublicKeyInfo (spki) public key',
        data: '',
      });
      expect((await fay.api.logIn(fay.email, 'wrong password')).body).toEqual({
        status: 'FAILURE',
        msg: 'wrong email or password',
        data: '',
      });
      expect(await fay.api.forgotPassword(fay.email)).toMatchObject({
        status: 501,
        body: { status: 'FAILURE', msg: 'This server does not reset passwords by e-mail.' },
      });

      // A second login sends the desktop's whole local record, private key included: accepted,
      // never kept or logged.
      const marker = `-----BEGIN PRIVATE KEY-----${'Q'.repeat(40)}-----END PRIVATE KEY-----`;
      const relogin = await fay.api.logIn(fay.email, PASSWORD, {
        id: 1,
        name: 'Fay',
        publicKey: fay.keys.publicKey,
        personId: 1,
        privateKey: marker,
      });
      expect(relogin.body).toMatchObject({ status: 'SUCCESS' });
      for (const gateway of f.fleet.gateways) expect(gateway.output()).not.toContain('QQQQQQQQ');

      // Only contacts exchange messages, only admins invite.
      const s = await open(g0, fay);
      expect(
        await s.send('contactChatMessage', {
          date: '1/1/2026',
          time: '08:00',
          messageType: '',
          message: 'aGk=',
          to: gus.email,
        }),
      ).toEqual({ status: 'ERROR', error: 'recipient is not a contact', code: 'not_a_contact' });
      const { groupId } = (await gus.api.createGroup(gus.token, { name: 'Gus', description: '' }))
        .body as { groupId: string };
      expect(
        await s.send('sendGroupRequest', {
          groupId,
          encryptedGroupKey: encryptData(gus.keys.publicKey, generateKey()),
          email: gus.email,
        }),
      ).toEqual({
        status: 'ERROR',
        error: 'no such group, or you are not a member',
        code: 'no_such_group',
      });
      expect(await s.send('sendContactRequest', '{"email":' as unknown as object)).toEqual({
        status: 'ERROR',
        error: 'payload must be an object',
        code: 'validation',
      });

      // Lookups without a token are counted per client address.
      const lookups = new DesktopApi(g1, PREFIX, '203.0.113.9');
      for (let i = 0; i < LOOKUPS_PER_ADDRESS; i++) {
        expect((await lookups.getUserDetails(gus.email)).status).toBe(200);
      }
      const limited = await lookups.getUserDetails(gus.email);
      expect([limited.status, limited.body]).toEqual([
        429,
        { status: 'FAILURE', msg: 'rate limited', data: '' },
      ]);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await lookups.getUserDetails('nobody@example.com')).status).toBe(429);
      expect(
        (await new DesktopApi(g1, PREFIX, '203.0.113.10').getUserDetails('nobody@example.com'))
          .body,
      ).toEqual({
        status: 'FAILURE',
        msg: 'no user with that email',
        data: '',
      });
    },
    FLEET_TEST_TIMEOUT,
  );

  it('answers the desktop’s page (origin app://.) on its paths only', async () => {
    const [g0] = f.urls;
    const preflight = await fetch(`${g0}${PREFIX}/user/update`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'app://.',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT');
    // The socket.io handshake from that origin: admitted on the desktop's path only.
    const handshake = (path: string) =>
      fetch(`${g0}${path}/?EIO=4&transport=polling`, { headers: { Origin: 'app://.' } });
    const desktop = await handshake(`${PREFIX}/socket.io`);
    expect([desktop.status, desktop.headers.get('access-control-allow-origin')]).toEqual([
      200,
      '*',
    ]);
    expect((await desktop.text()).startsWith('0{"sid":')).toBe(true);
    expect((await handshake('/socket.io')).status).toBe(403);
  });
});

describe('Bowl Desktop with the compatibility mode off (the default)', () => {
  const f = useFleet(1, { DESKTOP_COMPAT_PREFIX: PREFIX });

  it('answers 404 on the desktop routes and refuses the header token', async () => {
    const [g0] = f.urls;
    const api = new DesktopApi(g0, PREFIX, '192.0.2.1');
    const keys = desktopKeyPair();
    const replies = [
      await api.signUp({
        name: 'Hal',
        email: uniqueEmail('hal'),
        password: PASSWORD,
        public_key: keys.publicKey,
      }),
      await api.logIn('hal@example.com', PASSWORD),
      await api.updateUser('x', { name: 'Hal' }),
      await api.getUserDetails('hal@example.com'),
      await api.createGroup('x', { name: 'G', description: '' }),
      await api.forgotPassword('hal@example.com'),
    ];
    expect(replies.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404]);

    // A real account and token: refused in the `token` header, accepted in auth.token.
    const registered = await postJson(g0, '/auth/register', {
      name: 'Hal',
      email: uniqueEmail('hal'),
      password: PASSWORD,
      publicKey: keys.publicKey,
    });
    const token = registered.body.accessToken as string;
    await expect(connectDesktop(g0, '', token, { reconnection: false })).rejects.toThrow(
      'unauthorized',
    );
    await expect(connectDesktop(g0, PREFIX, token, { reconnection: false })).rejects.toThrow(
      'xhr poll error',
    );
    expect(await connectError(g0, token)).toBe('connected');
  });
});
