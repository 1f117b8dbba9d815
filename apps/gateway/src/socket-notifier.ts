import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { userRoom } from '@app/auth';
import { Notifier } from '@app/common';

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

  toUsers(userIds: readonly string[], event: string, payload: object): void {
    if (!this.server || userIds.length === 0) return;
    this.server.to(userIds.map(userRoom)).emit(event, payload);
  }
}
