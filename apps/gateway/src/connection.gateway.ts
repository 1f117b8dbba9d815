import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { AuthedSocket, SocketSessions, userRoom } from '@app/auth';
import { guard } from '@app/common';
import { ContactsService } from '@app/contacts';
import { PumpHub, SendService } from '@app/delivery';
import { GroupsService } from '@app/groups';
import { PresenceService } from '@app/presence';
import { SocketNotifier } from './socket-notifier';
import { SocketRouter } from './socket-router';

/**
 * A socket's life: authenticated in the handshake; on connect its events are routed, it joins its
 * user's room, counts towards presence, gets onlineChats, the requests and invitations waiting for
 * an answer, then its message queue; on disconnect it stops receiving and may take the user
 * offline. Nothing is kept per socket here: the pump is per user, the rest lives on the socket.
 */
@WebSocketGateway()
export class ConnectionGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Connections');
  private server: Server;
  private readonly disconnecting = new Set<Promise<void>>();

  constructor(
    private readonly sessions: SocketSessions,
    private readonly notifier: SocketNotifier,
    private readonly router: SocketRouter,
    private readonly presence: PresenceService,
    private readonly contacts: ContactsService,
    private readonly groups: GroupsService,
    private readonly hub: PumpHub,
    private readonly send: SendService,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    const refuse = (_: string, _socket: Socket, next: (err?: Error) => void) =>
      next(new Error('internal error'));
    server.use(guard('the handshake', this.sessions.handshake(), refuse));
    server.use(guard('the connection cap', this.admit, refuse));
    this.notifier.attach(server);
    this.presence.trackLocalSockets(function* () {
      for (const socket of server.of('/').sockets.values() as Iterable<AuthedSocket>) {
        yield [socket.data.user.id, socket.id];
      }
    });
  }

  handleConnection(socket: AuthedSocket): Promise<void> {
    this.router.listen(socket);
    this.sessions.opened(socket);
    return this.welcome(socket).catch((err: Error) => {
      this.logger.error(`connect of user ${socket.data.user.id} failed: ${err.message}`, err.stack);
      socket.disconnect(true); // the client reconnects and tries again
    });
  }

  handleDisconnect(socket: AuthedSocket): Promise<void> {
    const done = this.farewell(socket).finally(() => this.disconnecting.delete(done));
    this.disconnecting.add(done);
    return done;
  }

  /** Disconnects this instance's sockets cleanly (presence, acks) before connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.local.emit('sessionEnded', { reason: 'server shutting down' });
    this.server?.local.disconnectSockets(true);
    await Promise.all([...this.disconnecting]);
    await this.presence.stop().catch(() => undefined);
    await this.send.drained();
    await this.hub.stop();
  }

  /** MAX_SOCKETS_PER_USER, checked before a socket connects (re-checked when it is counted). */
  private readonly admit = async (socket: Socket, next: (err?: Error) => void): Promise<void> => {
    const { user } = (socket as AuthedSocket).data;
    const allowed = await this.presence.mayConnect(user.id).catch(() => true); // Redis down: admit
    next(allowed ? undefined : new Error('too many connections'));
  };

  private readonly farewell = guard('a disconnect', async (socket: AuthedSocket) => {
    const { user } = socket.data;
    this.sessions.closed(socket);
    this.hub.detach(user.id, socket);
    await this.presence.disconnected(user, socket.id).catch((err: Error) => {
      this.logger.warn(`presence of user ${user.id} not updated on disconnect: ${err.message}`);
    });
  });

  private async welcome(socket: AuthedSocket): Promise<void> {
    const { user } = socket.data;
    // Issued before anything else, so a quick disconnect's removal always comes after it.
    const counted = this.presence.connected(user, socket.id).catch((err: Error) => {
      // Presence is best effort (Redis may be down); delivery from PostgreSQL must go on.
      this.logger.warn(`presence of user ${user.id} not updated on connect: ${err.message}`);
      return true;
    });
    await socket.join(userRoom(user.id));
    if (!(await counted)) {
      // Another socket of the user got in between the handshake's check and this one.
      socket.emit('sessionEnded', { reason: 'too many connections' });
      socket.disconnect(true);
      return;
    }
    const [chats, requests, invites] = await Promise.all([
      this.presence.onlineChats(user.id),
      this.contacts.pendingRequestsFor(user.id),
      this.groups.pendingInvitesFor(user.id),
    ]);
    if (!socket.connected) return;
    socket.emit('onlineChats', chats);
    for (const request of requests) socket.emit('contactRequestReceived', request);
    for (const invite of invites) socket.emit('groupRequestReceived', invite);
    // Registers the socket at once (a disconnect from now on detaches it); reads the queue after.
    await this.hub.attach(user.id, socket);
  }
}
