import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit } from '@nestjs/websockets';
import type { Server } from 'socket.io';
import { AuthedSocket, AuthService, socketAuthMiddleware, userRoom } from '@app/auth';
import { guard, logOnly } from '@app/common';
import { ContactsService } from '@app/contacts';
import { DeliveryService, DeliverySink, MailboxPump } from '@app/delivery';
import { GroupsService } from '@app/groups';
import { PresenceService } from '@app/presence';
import { BowlGateway } from './bowl-gateway.decorator';
import { SocketNotifier } from './socket-notifier';
import { answerUnknownEvents } from './unknown-events';

/** How long a delivered message waits for the client's ack before we stop listening for it. */
const DELIVERY_ACK_TIMEOUT_MS = 60_000;

/**
 * A socket's life: authenticated in the handshake; on connect it joins its user's room, counts
 * towards presence, gets onlineChats, the requests and invitations waiting for an answer, then
 * its message queue; on disconnect it stops receiving and may take the user offline.
 */
@BowlGateway()
export class ConnectionGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Connections');
  private server: Server;
  /** Per local socket: its connect work, then its pump (absent once it is gone). */
  private readonly sessions = new Map<string, Promise<MailboxPump | undefined>>();
  private readonly disconnecting = new Set<Promise<void>>();

  constructor(
    private readonly auth: AuthService,
    private readonly notifier: SocketNotifier,
    private readonly presence: PresenceService,
    private readonly contacts: ContactsService,
    private readonly groups: GroupsService,
    private readonly delivery: DeliveryService,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    server.use(
      guard('the handshake', socketAuthMiddleware(this.auth), (_, _socket, next) =>
        next(new Error('internal error')),
      ),
    );
    this.notifier.attach(server);
  }

  handleConnection(socket: AuthedSocket): Promise<unknown> {
    const session = this.welcome(socket).catch((err: Error) => {
      this.logger.error(`connect of user ${socket.data.user.id} failed: ${err.message}`, err.stack);
      socket.disconnect(true); // the client reconnects and tries again
      return undefined;
    });
    this.sessions.set(socket.id, session);
    return session;
  }

  handleDisconnect(socket: AuthedSocket): Promise<void> {
    const done = this.guardedFarewell(socket).finally(() => this.disconnecting.delete(done));
    this.disconnecting.add(done);
    return done;
  }

  /** Disconnects this instance's sockets cleanly (presence, acks) before connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.local.disconnectSockets(true);
    await Promise.all([...this.disconnecting]);
    await this.presence.stop().catch(() => undefined);
    await this.delivery.stop();
  }

  private async welcome(socket: AuthedSocket): Promise<MailboxPump | undefined> {
    const { user } = socket.data;
    socket.onAny(guard('the catch-all listener', answerUnknownEvents(socket)));
    await socket.join(userRoom(user.id));
    await this.presence.connected(user, socket.id).catch((err: Error) => {
      // Presence is best effort (Redis may be down); delivery from PostgreSQL must go on.
      this.logger.warn(`presence of user ${user.id} not updated on connect: ${err.message}`);
    });
    const [chats, requests, invites] = await Promise.all([
      this.presence.onlineChats(user.id),
      this.contacts.pendingRequestsFor(user.id),
      this.groups.pendingInvitesFor(user.id),
    ]);
    socket.emit('onlineChats', chats);
    for (const request of requests) socket.emit('contactRequestReceived', request);
    for (const invite of invites) socket.emit('groupRequestReceived', invite);
    if (!socket.connected) return undefined;
    return this.delivery.attach(this.sinkFor(socket));
  }

  private readonly guardedFarewell = guard('a disconnect', (socket: AuthedSocket) =>
    this.farewell(socket),
  );

  private async farewell(socket: AuthedSocket): Promise<void> {
    const { user } = socket.data;
    const pump = await this.sessions.get(socket.id);
    this.sessions.delete(socket.id);
    if (pump) this.delivery.detach(user.id, pump);
    await this.presence.disconnected(user, socket.id).catch((err: Error) => {
      this.logger.warn(`presence of user ${user.id} not updated on disconnect: ${err.message}`);
    });
  }

  private sinkFor(socket: AuthedSocket): DeliverySink {
    return {
      userId: socket.data.user.id,
      send: (event, payload, onAck) =>
        socket.timeout(DELIVERY_ACK_TIMEOUT_MS).emit(
          event,
          payload,
          guard(
            'a delivery ack',
            (err: Error | null) => {
              if (!err) onAck();
            },
            logOnly,
          ),
        ),
    };
  }
}
