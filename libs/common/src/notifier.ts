/**
 * Pushes a server → client event to every socket of the given users, on whichever instance of the
 * fleet they are connected (best effort: what must not be lost is stored and replayed on connect).
 * The gateway provides the socket.io implementation.
 */
export abstract class Notifier {
  abstract toUsers(userIds: readonly string[], event: string, payload: object): void;
}
