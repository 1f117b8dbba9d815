import type { ServerEvents, SessionEndedPayload } from '@app/protocol';

/** Why the server ends a socket's session on purpose (S→C `sessionEnded`). */
export type SessionEndReason = SessionEndedPayload['reason'];

/** Server → client events a service may push (what socket.io and delivery emit are not here). */
export type PushedEvent = Exclude<keyof ServerEvents, 'contactChatMessage' | 'groupChatMessage'>;

/**
 * Pushes a server → client event to every socket of the given users, on whichever instance of the
 * fleet they are connected (best effort: what must not be lost is stored and replayed on connect).
 * The gateway provides the socket.io implementation.
 */
export abstract class Notifier {
  abstract toUsers<E extends PushedEvent>(
    userIds: readonly string[],
    event: E,
    payload: ServerEvents[E],
  ): void;

  /**
   * Tells every socket of these users, or of these signed-in sessions, `sessionEnded {reason}`
   * and disconnects it, on every instance of the fleet.
   */
  abstract endSessions(
    who: { userIds?: readonly string[]; sessionIds?: readonly string[] },
    reason: SessionEndReason,
  ): void;
}
