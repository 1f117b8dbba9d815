import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { sessionRoom, userRoom } from '@app/auth';
import type { ServerEvents } from '@app/protocol';
import { Notifier, PushedEvent, SessionEndReason } from '@app/common';

/** Notifier over socket.io rooms; with the Redis adapter a room spans the whole fleet. */
@Injectable()
export class SocketNotifier extends Notifier {
  private server?: Server;

  attach(server: Server): void {
    this.server = server;
  }

  /** Sockets connected to this instance. */
  connectedSockets(): number {
    return this.server?.engine.clientsCount ?? 0;
  }

  toUsers<E extends PushedEvent>(
    userIds: readonly string[],
    event: E,
    payload: ServerEvents[E],
  ): void {
    if (!this.server || userIds.length === 0) return;
    this.server.to(userIds.map(userRoom)).emit(event, payload);
  }

  endSessions(
    who: { userIds?: readonly string[]; sessionIds?: readonly string[] },
    reason: SessionEndReason,
  ): void {
    const rooms = [
      ...(who.userIds ?? []).map(userRoom),
      ...(who.sessionIds ?? []).map(sessionRoom),
    ];
    if (!this.server || rooms.length === 0) return;
    // Both go through the adapter in this order, so every instance tells before it disconnects.
    this.server.to(rooms).emit('sessionEnded', { reason });
    this.server.in(rooms).disconnectSockets(true);
  }
}
