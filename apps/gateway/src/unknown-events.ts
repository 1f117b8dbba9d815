import type { Socket } from 'socket.io';
import { toErrorAck, UnknownEventError } from '@app/common';

/** Listeners socket.io puts on every socket itself (a no-op 'error' one): no Bowl handler. */
const SOCKET_IO_OWN_EVENTS = new Set(['error']);

/**
 * A socket's catch-all: an event no gateway handles gets ERROR `unknown_event` when it carries an
 * ack, so no client waits for an answer that never comes. The name is whatever JSON the client
 * put first in the frame (`421[1,{}]` names a number): nothing here may assume a string.
 */
export function answerUnknownEvents(socket: Socket) {
  return (event: unknown, ...args: unknown[]): void => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') return;
    const handled =
      typeof event === 'string' &&
      !SOCKET_IO_OWN_EVENTS.has(event) &&
      socket.listenerCount(event) > 0;
    if (!handled) ack(toErrorAck(new UnknownEventError(event)));
  };
}
