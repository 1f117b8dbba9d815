import type { SocketDialect } from '@app/common';

/** acceptGroupRequest's OK ack without the caller among `members`. */
function membersWithout(result: object, email: string): object {
  const { members } = result as { members?: { email: string }[] };
  if (!Array.isArray(members)) return result;
  return { ...result, members: members.filter((m) => m.email !== email) };
}

/**
 * Bowl Desktop's socket dialect (docs/desktop.md): the token comes in the `token` header; chat
 * messages go out as JSON strings, which it `JSON.parse`s, and are never acknowledged (so one
 * counts as delivered once written); acceptGroupRequest's members leave out the caller, whom the
 * desktop stores itself under a unique key. It sends its payloads as JSON strings, which the
 * router reads for every client.
 */
export const DESKTOP_DIALECT: SocketDialect = {
  tokenOf: (handshake) => handshake.headers.token,
  acknowledgesDeliveries: false,
  chatPayload: (json) => JSON.stringify(json),
  reply: (event, result, caller) =>
    event === 'acceptGroupRequest' ? membersWithout(result, caller.email) : result,
};
