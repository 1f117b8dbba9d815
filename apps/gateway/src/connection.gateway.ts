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
import { logContext } from './logging';
import { Shutdown } from './shutdown';
import { SocketNotifier } from './socket-notifier';
import { SocketRouter } from './socket-router';

const SHUTTING_DOWN = 'server shutting down';

/**
 * How long sockets stay connected after `sessionEnded` "server shutting down": events the client
 * sent before it saw sessionEnded still arrive, and are answered (ERROR "server shutting down")
 * instead of being cut off unanswered.
 */
const LATE_EVENTS_MS = 500;

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
    private readonly shutdown: Shutdown,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    const refuse = (_: string, _socket: Socket, next: (err?: Error) => void) =>
      next(new Error('internal error'));
    // Checked before the handshake's work and again after it, which may have begun before a
    // shutdown: past the second check, a socket is connected at once (no I/O in between).
    server.use((socket, next) =>
      logContext.run({ socket: socket.id }, () => this.refuseWhenClosing(socket, next)),
    );
    server.use(guard('the handshake', this.sessions.handshake(), refuse));
    server.use(guard('the connection cap', this.admit, refuse));
    server.use(this.refuseWhenClosing);
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
    return logContext.run({ socket: socket.id }, () =>
      this.welcome(socket).catch((err: Error) => {
        this.logger.error(
          `connect of user ${socket.data.user.id} failed: ${err.message}`,
          err.stack,
        );
        socket.disconnect(true); // the client reconnects and tries again
      }),
    );
  }

  handleDisconnect(socket: AuthedSocket): Promise<void> {
    const done = logContext
      .run({ socket: socket.id }, () => this.farewell(socket))
      .finally(() => this.disconnecting.delete(done));
    this.disconnecting.add(done);
    return done;
  }

  /**
   * The drain of a shutdown, before HTTP closes: new sockets and events are refused; sockets are
   * told `sessionEnded`, their events in flight answered, then they are disconnected; presence is
   * released (watchers hear `offline` now, not when the reaper finds this instance silent) and
   * pending sends and acknowledgements are written.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.close();
    const local = this.server?.of('/').sockets;
    if (local?.size) {
      this.step('telling the sockets');
      this.server.local.emit('sessionEnded', { reason: SHUTTING_DOWN });
      this.step('answering the socket events in flight');
      await new Promise((resolve) => setTimeout(resolve, LATE_EVENTS_MS));
      await this.router.idle();
      this.step('disconnecting the sockets');
      this.server.local.disconnectSockets(true);
    }
    await Promise.all([...this.disconnecting]);
    this.step('writing the sends and acknowledgements');
    await this.send.drained();
    await this.hub.stop();
    this.step('releasing presence');
    await this.presence.stop().catch(() => undefined);
    this.step('closing HTTP and the connections to PostgreSQL and Redis');
  }

  /** MAX_SOCKETS_PER_USER, checked before a socket connects (re-checked when it is counted). */
  private readonly admit = async (socket: Socket, next: (err?: Error) => void): Promise<void> => {
    const { user } = (socket as AuthedSocket).data;
    const allowed = await this.presence.mayConnect(user.id).catch(() => true); // Redis down: admit
    next(allowed ? undefined : new Error('too many connections'));
  };

  /** What a shutdown still waits for, for the log line when its grace runs out. */
  leftToDrain(): string {
    const sockets = this.server?.of('/').sockets.size ?? 0;
    return [
      `${sockets} socket(s) connected`,
      `${this.router.eventsInFlight} event(s) in flight`,
      `${this.disconnecting.size} disconnect(s) unfinished`,
      `${this.send.pending} send(s) and ${this.hub.pendingAcks} acknowledgement(s) not written`,
    ].join(', ');
  }

  private step(step: string): void {
    this.shutdown.step = step;
    this.logger.log(`shutdown: ${step}`);
  }

  /** Handshake middleware: no new socket once the drain has begun. */
  private readonly refuseWhenClosing = (_socket: Socket, next: (err?: Error) => void): void =>
    next(this.shutdown.closing ? new Error(SHUTTING_DOWN) : undefined);

  private readonly farewell = guard('a disconnect', async (socket: AuthedSocket) => {
    const { user } = socket.data;
    this.logger.debug(`user ${user.id} disconnected`);
    this.sessions.closed(socket);
    this.hub.detach(user.id, socket);
    await this.presence.disconnected(user, socket.id).catch((err: Error) => {
      this.logger.warn(`presence of user ${user.id} not updated on disconnect: ${err.message}`);
    });
  });

  private async welcome(socket: AuthedSocket): Promise<void> {
    const { user } = socket.data;
    this.logger.debug(`user ${user.id} connected`);
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
