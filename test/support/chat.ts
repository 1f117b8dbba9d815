import type { Socket } from 'socket.io-client';
import { emitAck } from './clients';

let counter = 0;

/** A contactChatMessage payload as a client would send it (ciphertext stands in as text). */
export function chatMessage(to: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    date: '25/11/2026',
    time: '12:00',
    messageType: { kind: 'text', n: ++counter },
    message,
    to,
    ...extra,
  };
}

/** Makes two connected users contacts (request from a, acceptance by b); throws on ERROR. */
export async function makeContacts(
  a: Socket,
  b: Socket,
  aEmail: string,
  bEmail: string,
): Promise<void> {
  const request = await emitAck(a, 'sendContactRequest', { email: bEmail });
  if (request.status !== 'OK') throw new Error(`sendContactRequest: ${request.error}`);
  const accept = await emitAck(b, 'acceptContactRequest', { email: aEmail });
  if (accept.status !== 'OK') throw new Error(`acceptContactRequest: ${accept.error}`);
}

/** Polls until `condition` holds, or fails after `timeoutMs` with `what`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Creates a group as `admin` and has each member (already a contact of the admin) invited and
 * accept; throws on any ERROR. The wrapped key is a stand-in: the server never reads it.
 */
export async function makeGroup(
  admin: Socket,
  members: { email: string; socket: Socket }[],
  name = 'Group',
): Promise<string> {
  const encryptedGroupKey = Buffer.from('wrapped-group-key').toString('base64');
  const created = await emitAck(admin, 'createGroup', { name, encryptedGroupKey });
  if (created.status !== 'OK') throw new Error(`createGroup: ${created.error}`);
  const groupId = created.groupId as string;
  for (const member of members) {
    const invite = await emitAck(admin, 'sendGroupRequest', {
      groupId,
      encryptedGroupKey,
      email: member.email,
    });
    if (invite.status !== 'OK') throw new Error(`sendGroupRequest: ${invite.error}`);
    const accept = await emitAck(member.socket, 'acceptGroupRequest', { groupId });
    if (accept.status !== 'OK') throw new Error(`acceptGroupRequest: ${accept.error}`);
  }
  return groupId;
}
