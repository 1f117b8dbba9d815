import type { Socket } from 'socket.io';
import { AuthService, AuthUser } from './auth.service';

/** The room that reaches every socket of a user, on any instance of the fleet. */
export const userRoom = (userId: string): string => `user:${userId}`;

export interface SocketData {
  user: AuthUser;
}
export type AuthedSocket = Socket & { data: SocketData };

/**
 * socket.io handshake middleware: a socket without a valid `auth.token` never connects; the client
 * gets `connect_error` with message "unauthorized". Runs before any handler.
 */
export function socketAuthMiddleware(auth: AuthService) {
  return (socket: Socket, next: (err?: Error) => void): void => {
    auth.authenticate((socket.handshake.auth as { token?: unknown } | undefined)?.token).then(
      (user) => {
        (socket.data as SocketData).user = user;
        next();
      },
      () => next(new Error('unauthorized')),
    );
  };
}
