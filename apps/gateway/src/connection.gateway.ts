import { Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketServer } from '@nestjs/websockets';
import type { Server } from 'socket.io';
import { AuthedSocket, AuthService, socketAuthMiddleware, userRoom } from '@app/auth';
import { BowlGateway } from './bowl-gateway.decorator';

/** Authenticates every socket in the handshake and puts it in its user's room. */
@BowlGateway()
export class ConnectionGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger('Connections');

  @WebSocketServer()
  server: Server;

  constructor(private readonly auth: AuthService) {}

  afterInit(server: Server): void {
    server.use(socketAuthMiddleware(this.auth));
  }

  async handleConnection(socket: AuthedSocket): Promise<void> {
    const { user } = socket.data;
    await socket.join(userRoom(user.id));
    this.logger.debug(`connected user=${user.id} socket=${socket.id}`);
  }
}
