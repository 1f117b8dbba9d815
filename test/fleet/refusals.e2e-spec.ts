import type { Ack } from '../support/clients';
import { emitAck } from '../support/clients';
import { makeContacts } from '../support/chat';
import { randomWrappedKey } from '../support/crypto';
import { expectError, expectOk, sleep } from '../support/expect';
import { FLEET_TEST_TIMEOUT, onlineChatsOf, QUIET_MS, useFleet } from '../support/fleet-suite';

type Payload = Record<string, unknown>;

/**
 * What the server refuses, over real sockets of two gateway processes: the rules (who may do
 * what), then malformed and hostile payloads on every event, which must each get a clear ERROR
 * ack while the socket and both processes stay up.
 */
describe('refusals across a fleet of two gateways', () => {
  // The barrage sends hundreds of events from one socket: it tests refusals, not the event limit.
  const f = useFleet(2, { RATE_LIMIT_SOCKET_EVENTS: 'off' });
  let g0: string;
  let g1: string;
  beforeAll(() => {
    [g0, g1] = f.urls;
  });

  it(
    'refuses what the rules forbid, with a clear error, over the real sockets',
    async () => {
      const [alice, bob, carol, dave] = await Promise.all(
        ['Alice', 'Bob', 'Carol', 'Dave'].map(f.register),
      );
      const a = await f.plainAs(g0, alice);
      const b = await f.plainAs(g1, bob);
      const c = await f.plainAs(g0, carol);
      const d = await f.plainAs(g1, dave);
      await makeContacts(a, b, alice.email, bob.email);
      await makeContacts(b, c, bob.email, carol.email);
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
        'user_not_found',
      );
      expectError(
        await emitAck(a, 'sendContactRequest', { email: alice.email }),
        /yourself/,
        'cannot_add_self',
      );
      expectError(
        await emitAck(a, 'sendContactRequest', { email: alice.email.toUpperCase() }),
        /yourself/,
        'cannot_add_self',
      );
      expectError(
        await emitAck(a, 'sendContactRequest', { email: bob.email }),
        /already a contact/,
        'already_contact',
      );
      expectError(
        await emitAck(b, 'sendContactRequest', { email: alice.email }),
        /already a contact/,
        'already_contact',
      );
      expectOk(await emitAck(a, 'sendContactRequest', { email: carol.email }));
      expectError(
        await emitAck(a, 'sendContactRequest', { email: carol.email }),
        /already pending/,
        'request_already_pending',
      );
      expectError(
        await emitAck(a, 'acceptContactRequest', { email: carol.email }),
        /no pending contact request/,
        'no_pending_request',
      ); // one cannot accept one's own request
      expectOk(await emitAck(c, 'acceptContactRequest', { email: alice.email }));
      expectError(
        await emitAck(c, 'acceptContactRequest', { email: alice.email }),
        /no pending contact request/,
        'no_pending_request',
      );
      expectError(
        await emitAck(a, 'acceptContactRequest', { email: 'nobody.here@example.com' }),
        /no pending contact request/,
        'no_pending_request',
      );
      expectError(
        await emitAck(a, 'declineContactRequest', { email: dave.email }),
        /no pending contact request/,
        'no_pending_request',
      );
      expectError(
        await emitAck(a, 'declineContactRequest', { email: 'nobody.here@example.com' }),
        /no pending contact request/,
        'no_pending_request',
      );
      expectError(
        await emitAck(a, 'removeContact', { email: dave.email }),
        /not a contact/,
        'not_a_contact',
      );
      expectError(
        await emitAck(a, 'removeContact', { email: 'nobody.here@example.com' }),
        /not a contact/,
        'not_a_contact',
      );

      // 1:1 messages.
      expectError(
        await emitAck(a, 'contactChatMessage', msg(dave.email)),
        /not a contact/,
        'not_a_contact',
      );
      expectError(
        await emitAck(a, 'contactChatMessage', msg('nobody.here@example.com')),
        /not a contact/,
        'not_a_contact',
      );
      expectError(
        await emitAck(a, 'contactChatMessage', msg(alice.email)),
        /not a contact/,
        'not_a_contact',
      );

      // Groups. Alice: admin of G; Bob: member; Carol: contact of Alice, invited; Dave: outsider.
      const key = randomWrappedKey();
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

      expectError(
        await emitAck(b, 'sendGroupRequest', invite(carol.email)),
        /only an admin/,
        'not_group_admin',
      );
      expectError(
        await emitAck(d, 'sendGroupRequest', invite(alice.email)),
        /not a member/,
        'no_such_group',
      );
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(bob.email, missing)),
        /no such group/,
        'no_such_group',
      );
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(dave.email)),
        /only invite your contacts/,
        'invitee_not_a_contact',
      );
      expectError(
        await emitAck(a, 'sendGroupRequest', invite('nobody.here@example.com')),
        /only invite your contacts/,
        'invitee_not_a_contact',
      );
      expectError(await emitAck(a, 'sendGroupRequest', invite(alice.email)), /contacts|member/);
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(bob.email)),
        /already a member/,
        'already_group_member',
      );
      expectOk(await emitAck(a, 'sendGroupRequest', invite(carol.email)));
      expectError(
        await emitAck(a, 'sendGroupRequest', invite(carol.email)),
        /already invited/,
        'already_invited',
      );

      expectError(
        await emitAck(d, 'acceptGroupRequest', { groupId }),
        /no pending invitation/,
        'no_pending_invitation',
      );
      expectError(
        await emitAck(b, 'acceptGroupRequest', { groupId }),
        /no pending invitation/,
        'no_pending_invitation',
      );
      expectError(
        await emitAck(d, 'acceptGroupRequest', { groupId: missing }),
        /no pending invitation/,
        'no_pending_invitation',
      );
      expectError(
        await emitAck(d, 'declineGroupRequest', { groupId }),
        /no pending invitation/,
        'no_pending_invitation',
      );

      const groupMsg = {
        groupId,
        date: '01/01/2026',
        time: '12:00',
        messageType: 'text',
        message: 'aGk=',
      };
      expectError(
        await emitAck(d, 'groupChatMessage', groupMsg),
        /not a member/,
        'not_group_member',
      );
      expectError(
        await emitAck(c, 'groupChatMessage', groupMsg),
        /not a member/,
        'not_group_member',
      ); // only invited
      expectError(
        await emitAck(a, 'groupChatMessage', { ...groupMsg, groupId: missing }),
        /not a member/,
        'not_group_member',
      );

      expectError(
        await emitAck(b, 'removeGroupMember', { groupId, email: alice.email }),
        /only an admin/,
        'not_group_admin',
      );
      expectError(
        await emitAck(b, 'promoteGroupMember', { groupId, email: bob.email }),
        /only an admin/,
        'not_group_admin',
      );
      expectError(
        await emitAck(d, 'removeGroupMember', { groupId, email: bob.email }),
        /not a member/,
        'no_such_group',
      );
      expectError(
        await emitAck(d, 'promoteGroupMember', { groupId, email: bob.email }),
        /not a member/,
        'no_such_group',
      );
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: carol.email }),
        /no member with that email/,
        'no_such_member',
      ); // invited is not a member
      expectError(
        await emitAck(a, 'promoteGroupMember', { groupId, email: dave.email }),
        /no member with that email/,
        'no_such_member',
      );
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: alice.email }),
        /leaveGroup/,
        'cannot_remove_self',
      );
      expectError(
        await emitAck(a, 'promoteGroupMember', { groupId, email: alice.email }),
        /already an admin/,
        'already_group_admin',
      );
      expectError(await emitAck(d, 'leaveGroup', { groupId }), /not a member/, 'not_group_member');
      expectError(await emitAck(c, 'leaveGroup', { groupId }), /not a member/, 'not_group_member');
      expectError(
        await emitAck(a, 'leaveGroup', { groupId: missing }),
        /not a member/,
        'not_group_member',
      );

      // Carol declines; she can no longer accept. Bob, once removed, can no longer write.
      expectOk(await emitAck(c, 'declineGroupRequest', { groupId }));
      expectError(
        await emitAck(c, 'acceptGroupRequest', { groupId }),
        /no pending invitation/,
        'no_pending_invitation',
      );
      expectError(
        await emitAck(c, 'declineGroupRequest', { groupId }),
        /no pending invitation/,
        'no_pending_invitation',
      );
      expectOk(await emitAck(a, 'removeGroupMember', { groupId, email: bob.email }));
      expectError(
        await emitAck(b, 'groupChatMessage', groupMsg),
        /not a member/,
        'not_group_member',
      );
      expectError(
        await emitAck(a, 'removeGroupMember', { groupId, email: bob.email }),
        /no member/,
        'no_such_member',
      );

      // Removed contacts can no longer message each other, in either direction.
      expectOk(await emitAck(a, 'contactChatMessage', msg(bob.email)));
      expectOk(await emitAck(b, 'removeContact', { email: alice.email }));
      expectError(
        await emitAck(a, 'contactChatMessage', msg(bob.email)),
        /not a contact/,
        'not_a_contact',
      );
      expectError(
        await emitAck(b, 'contactChatMessage', msg(alice.email)),
        /not a contact/,
        'not_a_contact',
      );
      expectError(
        await emitAck(a, 'removeContact', { email: bob.email }),
        /not a contact/,
        'not_a_contact',
      );

      for (const s of [a, b, c, d]) expect(s.connected).toBe(true);
    },
    FLEET_TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'answers every malformed payload on every event with an ERROR ack and stays up',
    async () => {
      const [mallory, trent] = await Promise.all(['Mallory', 'Trent'].map(f.register));
      const m = await f.openAs(g0, mallory);
      const t = await f.openAs(g1, trent);
      await makeContacts(m.socket, t.socket, mallory.email, trent.email);
      let disconnected = false;
      m.socket.on('disconnect', () => (disconnected = true));

      const key = randomWrappedKey();
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
          '1/13/2026',
          '0/1/2026',
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
      for (const gateway of f.fleet.gateways) {
        expect(gateway.child.exitCode).toBeNull();
        expect(await f.health(gateway.url)).toBe(200);
      }
    },
    FLEET_TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'refuses own __proto__/constructor keys like any unknown field, and empty wrapped group keys',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(f.register));
      const a = await f.openAs(g0, alice);
      const b = await f.openAs(g1, bob);
      await makeContacts(a.socket, b.socket, alice.email, bob.email);
      const key = randomWrappedKey();
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
    FLEET_TEST_TIMEOUT,
  );

  it(
    'text with NUL characters is relayed verbatim or refused by validation, never an internal error',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(f.register));
      const a = await f.openAs(g0, alice);
      const b = await f.openAs(g1, bob);
      await makeContacts(a.socket, b.socket, alice.email, bob.email);
      const key = randomWrappedKey();
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
    FLEET_TEST_TIMEOUT,
  );

  it(
    'relays any JSON messageType verbatim, keys named like prototype internals included',
    async () => {
      const [alice, bob] = await Promise.all(['Alice', 'Bob'].map(f.register));
      const a = await f.openAs(g0, alice);
      const b = await f.openAs(g1, bob);
      await makeContacts(a.socket, b.socket, alice.email, bob.email);
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
    FLEET_TEST_TIMEOUT,
  );

  // ------------------------------------------------------------------------------------------
  it(
    'a frame above maxHttpBufferSize closes only that connection',
    async () => {
      const [victim, friend] = await Promise.all(['Victim', 'Friend'].map(f.register));
      const other = await f.openAs(g1, victim); // the same user's other tab, same instance
      const fr = await f.openAs(g1, friend);
      await makeContacts(other.socket, fr.socket, victim.email, friend.email);
      const throwaway = await f.plainAs(g1, victim);
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
      expect(fr.socket.connected).toBe(true);
      expect(fr.all('contactChatMessage')).toEqual([]);
      // The victim's other tab was not taken offline by the dropped one.
      expect(fr.all('offline')).toEqual([]);
      const ack = await emitAck(other.socket, 'contactChatMessage', {
        date: '24/11/2026',
        time: '16:25',
        messageType: 'text',
        message: 'c21hbGw=',
        to: friend.email,
      });
      expectOk(ack);
      await fr.waitFor('contactChatMessage', (p) => p.id === ack.id);
      for (const gateway of f.fleet.gateways) {
        expect(gateway.child.exitCode).toBeNull();
        expect(await f.health(gateway.url)).toBe(200);
      }
      // And the same user can connect again on that instance.
      const again = await f.openAs(g1, victim);
      expect(await onlineChatsOf(again)).toEqual({ contacts: [friend.email], groups: [] });
    },
    FLEET_TEST_TIMEOUT,
  );
});
