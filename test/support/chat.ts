import type { Socket } from 'socket.io-client';
import { Ack, emitAck } from './clients';

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

/**
 * Makes two connected users contacts (request from a, acceptance by b); throws on ERROR. Returns
 * the public key each side received for the other in `contactData`.
 */
export async function makeContacts(
  a: Socket,
  b: Socket,
  aEmail: string,
  bEmail: string,
): Promise<{ keyOfA: string; keyOfB: string }> {
  const request = await emitAck(a, 'sendContactRequest', { email: bEmail });
  if (request.status !== 'OK') throw new Error(`sendContactRequest: ${request.error}`);
  const accept = await emitAck(b, 'acceptContactRequest', { email: aEmail });
  if (accept.status !== 'OK') throw new Error(`acceptContactRequest: ${accept.error}`);
  const keyOf = (ack: Ack) => (ack.contactData as { publicKey: string }).publicKey;
  return { keyOfA: keyOf(accept), keyOfB: keyOf(request) };
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
