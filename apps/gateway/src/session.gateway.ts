import { SubscribeMessage } from '@nestjs/websockets';
import { AuthedSocket, AuthUser, RenewTokenDto, SocketSessions } from '@app/auth';
import { SocketHandlers } from './socket-router';

/** The socket's session: renewToken extends it to a fresh access token's expiry. */
@SocketHandlers()
export class SessionGateway {
  constructor(private readonly sessions: SocketSessions) {}

  @SubscribeMessage('renewToken')
  renewToken(_user: AuthUser, dto: RenewTokenDto, socket: AuthedSocket) {
    return this.sessions.renew(socket, dto.token);
  }
}
