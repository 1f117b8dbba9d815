import { BenchUser, closeAll, connectAll, makeContacts, register, wrappedKey } from './client';
import { forEachLimited } from './load';

/** Registrations hash passwords with scrypt (32 MiB each): a few at a time is the fastest. */
const REGISTER_PARALLEL = 4;
const SETUP_PARALLEL = 8;

export interface Pair {
  sender: BenchUser;
  recipient: BenchUser;
}

/**
 * Every bench user, registered and related once, then used by the scenarios on any gateway.
 * Registration is the slow part (scrypt), so the group and the backlog reuse the pairs' users.
 */
export interface Population {
  /** Contacts of each other, one pair per 1:1 stream. */
  pairs: Pair[];
  /** members[0] (pairs[0].sender) created the group and is a contact of every other member. */
  group: { id: string; members: BenchUser[] };
  /**
   * The last pair (outside the group unless the group needs every user), so its recipient has
   * been offline for a while when the backlog is stored.
   */
  backlog: Pair;
}

export const populationSize = (sizes: { pairs: number; groupSize: number }): number =>
  Math.max(sizes.pairs * 2, sizes.groupSize);

export async function populate(
  baseUrl: string,
  runId: string,
  sizes: { pairs: number; groupSize: number },
): Promise<Population> {
  const users: BenchUser[] = [];
  await forEachLimited(populationSize(sizes), REGISTER_PARALLEL, async (i) => {
    users[i] = await register(baseUrl, `bench-${runId}-${i}@example.com`);
  });
  const pairs = Array.from({ length: sizes.pairs }, (_, i) => ({
    sender: users[2 * i],
    recipient: users[2 * i + 1],
  }));
  const members = users.slice(0, sizes.groupSize);

  const clients = await connectAll(users, () => baseUrl);
  try {
    await forEachLimited(pairs.length, SETUP_PARALLEL, (i) =>
      makeContacts(clients[2 * i], clients[2 * i + 1]),
    );
    const admin = clients[0];
    // members[1] is pairs[0].recipient, a contact already
    const invitees = members.map((_, i) => i).slice(1);
    await forEachLimited(invitees.length - 1, SETUP_PARALLEL, (i) =>
      makeContacts(admin, clients[invitees[i + 1]]),
    );
    const created = await admin.requestOk('createGroup', {
      name: 'Bench group',
      encryptedGroupKey: wrappedKey(),
    });
    if (typeof created.groupId !== 'string') throw new Error('createGroup returned no groupId');
    const groupId = created.groupId;
    await forEachLimited(invitees.length, SETUP_PARALLEL, async (i) => {
      const invitee = invitees[i];
      await admin.requestOk('sendGroupRequest', {
        groupId,
        encryptedGroupKey: wrappedKey(),
        email: users[invitee].email,
      });
      await clients[invitee].requestOk('acceptGroupRequest', { groupId });
    });
    return { pairs, group: { id: groupId, members }, backlog: pairs[pairs.length - 1] };
  } finally {
    closeAll(clients);
  }
}
