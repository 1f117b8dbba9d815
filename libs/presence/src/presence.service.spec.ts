import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { ContactsService } from '@app/contacts';
import { CreateGroupDto, GroupsService } from '@app/groups';
import { testRedisPrefix } from '../../../test/support/database';
import { waitUntil } from '../../../test/support/expect';
import { ServiceHarness, useServiceHarness } from '../../../test/support/service-module';
import { PresenceService } from './presence.service';
import { RedisPresenceStore } from './redis-presence.store';

describe('PresenceService (in-memory store)', () => {
  const ctx = useServiceHarness();
  let h: ServiceHarness;
  let presence: PresenceService;
  let contacts: ContactsService;
  let groups: GroupsService;

  beforeAll(() => {
    ({ h } = ctx);
    presence = h.app.get(PresenceService);
    contacts = h.app.get(ContactsService);
    groups = h.app.get(GroupsService);
  });

  beforeEach(() => h.notifier.clear());

  const announcements = (event: 'online' | 'offline') =>
    h.notifier.sent.filter((s) => s.event === event);

  it("announces the first socket as 'online' to contacts and group co-members, no one else", async () => {
    const [alice, contact, coMember, admin, stranger, requester] = await h.users(
      'Alice',
      'Contact',
      'CoMember',
      'Admin', // a contact and a co-member of Alice
      'Stranger',
      'Requester',
    );
    await h.makeContacts(alice, contact);
    await h.groupOf(admin, alice, coMember);
    await contacts.sendRequest(requester, alice.email); // not accepted
    h.notifier.clear();

    await presence.connected(alice, 'socket-1');

    const online = announcements('online');
    expect(online).toHaveLength(1);
    expect(online[0].payload).toEqual({ email: alice.email });
    expect([...online[0].userIds].sort()).toEqual([contact.id, coMember.id, admin.id].sort());
    for (const nobody of [alice, stranger, requester]) {
      expect(h.notifier.to(nobody.id, 'online')).toEqual([]);
    }
  });

  it("announces 'online' once per user and 'offline' only when the last socket goes", async () => {
    const [alice, bob] = await h.users('Alice', 'Bob');
    await h.makeContacts(alice, bob);
    h.notifier.clear();

    await presence.connected(alice, 'socket-1');
    await presence.connected(alice, 'socket-2');
    expect(h.notifier.to(bob.id, 'online')).toEqual([{ email: alice.email }]);

    await presence.disconnected(alice, 'socket-1');
    expect(announcements('offline')).toEqual([]);
    await presence.disconnected(alice, 'socket-unknown');
    expect(announcements('offline')).toEqual([]);

    await presence.disconnected(alice, 'socket-2');
    expect(h.notifier.to(bob.id, 'offline')).toEqual([{ email: alice.email }]);
    expect(announcements('offline')).toHaveLength(1);

    // Already offline: a late disconnect announces nothing more.
    await presence.disconnected(alice, 'socket-2');
    expect(announcements('offline')).toHaveLength(1);

    // Back again.
    await presence.connected(alice, 'socket-3');
    expect(h.notifier.to(bob.id, 'online')).toEqual([
      { email: alice.email },
      { email: alice.email },
    ]);
    await presence.disconnected(alice, 'socket-3');
  });

  it('lists online contacts and, for every group of the user, its other online members', async () => {
    const [alice, onContact, offContact, admin, onMember, offMember, stranger] = await h.users(
      'Alice',
      'OnContact',
      'OffContact',
      'Admin',
      'OnMember',
      'OffMember',
      'Stranger',
    );
    await h.makeContacts(alice, onContact);
    await h.makeContacts(alice, offContact);
    const busy = await h.groupOf(admin, alice, onMember, offMember, onContact);
    // Admin is already a contact of Alice, OffMember and OnMember from here on: h.groupOf leaves
    // an existing contact as it is.
    const quiet = await h.groupOf(admin, alice, offMember); // nobody else online
    const { groupId: alone } = await groups.create(alice, {
      name: 'Alone',
      encryptedGroupKey: 'a2V5',
    } as CreateGroupDto);
    const notMine = await h.groupOf(admin, onMember);
    for (const user of [alice, onContact, onMember, stranger]) {
      await presence.connected(user, `socket-of-${user.id}`);
    }

    const chats = await presence.onlineChats(alice.id);

    expect(Object.keys(chats).sort()).toEqual(['contacts', 'groups']);
    expect(chats.contacts).toEqual([onContact.email]);
    const byId = Object.fromEntries(chats.groups.map((g) => [g.groupId, [...g.persons].sort()]));
    expect(byId).toEqual({
      [busy]: [onMember.email, onContact.email].sort(),
      [quiet]: [],
      [alone]: [],
    });
    expect(chats.groups).toHaveLength(3);
    for (const group of chats.groups)
      expect(Object.keys(group).sort()).toEqual(['groupId', 'persons']);
    expect(byId[notMine]).toBeUndefined();

    // A user with no contacts and no groups.
    expect(await presence.onlineChats(stranger.id)).toEqual({ contacts: [], groups: [] });

    for (const user of [alice, onContact, onMember, stranger]) {
      await presence.disconnected(user, `socket-of-${user.id}`);
    }
    expect(await presence.onlineChats(alice.id)).toEqual({
      contacts: [],
      groups: expect.arrayContaining([
        { groupId: busy, persons: [] },
        { groupId: quiet, persons: [] },
        { groupId: alone, persons: [] },
      ]),
    });
  });
});

describe('RedisPresenceStore (two instances sharing one Redis)', () => {
  const TIMING = { heartbeatMs: 200, ttlMs: 600, reapEveryMs: 200 };
  const prefix = testRedisPrefix();
  let redisA: Redis;
  let redisB: Redis;
  let A: RedisPresenceStore;
  let B: RedisPresenceStore;
  let warn: jest.SpyInstance;
  let userCount = 0;
  const userId = () => `user-${++userCount}`;

  beforeAll(() => {
    // Reaping logs a warning per dead instance; expected here.
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    redisA = new Redis(process.env.BOWL_TEST_REDIS_URL!);
    redisB = new Redis(process.env.BOWL_TEST_REDIS_URL!);
    A = new RedisPresenceStore(redisA, prefix, TIMING);
    B = new RedisPresenceStore(redisB, prefix, TIMING);
  });

  afterAll(async () => {
    await B.stop();
    await A.stop();
    const keys = await redisA.keys(`${prefix}*`);
    if (keys.length) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
    warn.mockRestore();
  });

  it('says first and last socket across instances: online until every instance removed it', async () => {
    const u = userId();

    expect(await A.add(u, 's1', 10)).toBe('first');
    expect(await B.add(u, 's2', 10)).toBe('more');
    expect(await A.add(u, 's3', 10)).toBe('more');

    expect(await A.remove(u, 's1')).toBe(false);
    expect(await A.remove(u, 's3')).toBe(false);
    expect(await A.onlineAmong([u])).toEqual(new Set([u]));
    expect(await A.remove(u, 's3')).toBe(false); // twice
    expect(await A.remove(u, 'never-added')).toBe(false);

    expect(await B.remove(u, 's2')).toBe(true);
    expect(await A.onlineAmong([u])).toEqual(new Set());
    expect(await B.remove(u, 's2')).toBe(false);

    expect(await B.add(u, 's4', 10)).toBe('first');
    expect(await B.remove(u, 's4')).toBe(true);
  });

  it('refuses a socket past maxSockets fleet-wide, atomically, and counts nothing for it', async () => {
    const u = userId();
    expect(await A.add(u, 's1', 2)).toBe('first');
    expect(await B.add(u, 's2', 2)).toBe('more');
    expect(await A.add(u, 's3', 2)).toBe('refused');
    expect(await B.countOf(u)).toBe(2);
    expect(await A.add(u, 's1', 2)).toBe('more'); // the same socket again is not one more
    const raced = await Promise.all([A.add(u, 's4', 3), B.add(u, 's5', 3)]);
    expect([...raced].sort()).toEqual(['more', 'refused']);
    expect(await A.countOf(u)).toBe(3);
    for (const [store, socket] of [
      [A, 's1'],
      [B, 's2'],
      [A, 's4'],
      [B, 's5'],
    ] as const) {
      await store.remove(u, socket);
    }
    expect(await A.countOf(u)).toBe(0);
  });

  it('onlineAmong answers from the fleet-wide view, on either instance', async () => {
    const [onA, onB, onBoth, offline] = [userId(), userId(), userId(), userId()];
    await A.add(onA, 'a1', 10);
    await B.add(onB, 'b1', 10);
    await A.add(onBoth, 'a2', 10);
    await B.add(onBoth, 'b2', 10);

    for (const store of [A, B]) {
      expect(await store.onlineAmong([onA, onB, onBoth, offline])).toEqual(
        new Set([onA, onB, onBoth]),
      );
      expect(await store.onlineAmong([offline])).toEqual(new Set());
      expect(await store.onlineAmong([])).toEqual(new Set());
    }

    await A.remove(onA, 'a1');
    await B.remove(onB, 'b1');
    await A.remove(onBoth, 'a2');
    await B.remove(onBoth, 'b2');
    expect(await B.onlineAmong([onA, onB, onBoth])).toEqual(new Set());
  });

  it("has a survivor announce a dead instance's users offline, and the instance heal when back", async () => {
    const [onlyA1, onlyA2, onBoth, onlyB] = [userId(), userId(), userId(), userId()];
    const offlineFromB: string[][] = [];
    const offlineFromA: string[][] = [];
    const onlineFromA: string[][] = [];
    B.on('offline', (ids) => offlineFromB.push(ids));
    A.on('offline', (ids) => offlineFromA.push(ids));
    A.on('online', (ids) => onlineFromA.push(ids));

    await A.onModuleInit();
    await B.onModuleInit();
    const socketsOfA: [string, string][] = [
      [onlyA1, 'a1'],
      [onlyA2, 'a2'],
      [onBoth, 'a3'],
    ];
    A.localSockets = () => socketsOfA; // the gateway's own list of its sockets
    for (const [user, socket] of socketsOfA) await A.add(user, socket, 10);
    await B.add(onBoth, 'b3', 10);
    await B.add(onlyB, 'b4', 10);
    // Alive instances do not reap each other.
    await new Promise((resolve) => setTimeout(resolve, 2 * TIMING.ttlMs));
    expect(offlineFromB).toEqual([]);

    // A dies without a word: its heartbeat and reaper timers stop (as when its process is killed).
    // Reaching into its private timers is the simplest way to get that in one process.
    (A as unknown as { timers: NodeJS.Timeout[] }).timers.forEach(clearInterval);

    await waitUntil(() => offlineFromB.length > 0, "B announces A's users offline", 2_500);
    expect(offlineFromB).toHaveLength(1);
    expect([...offlineFromB[0]].sort()).toEqual([onlyA1, onlyA2].sort());
    expect(await B.onlineAmong([onlyA1, onlyA2, onBoth, onlyB])).toEqual(new Set([onBoth, onlyB]));
    expect(await redisB.sismember(`${prefix}presence:instances`, A.instanceId)).toBe(0);

    // A comes back (its next heartbeat): it finds itself reaped and re-registers its sockets.
    await (A as unknown as { heartbeat(): Promise<void> }).heartbeat();

    expect(onlineFromA).toHaveLength(1);
    expect([...onlineFromA[0]].sort()).toEqual([onlyA1, onlyA2].sort());
    expect(await B.onlineAmong([onlyA1, onlyA2, onBoth, onlyB])).toEqual(
      new Set([onlyA1, onlyA2, onBoth, onlyB]),
    );
    expect(offlineFromA).toEqual([]);
  });

  it('stop() takes the instance out of the fleet', async () => {
    await A.stop();
    await B.stop();

    expect(await redisA.smembers(`${prefix}presence:instances`)).toEqual([]);
    expect(await redisA.keys(`${prefix}presence:instance:*`)).toEqual([]);
  });
});
