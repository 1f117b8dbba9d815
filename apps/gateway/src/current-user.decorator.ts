import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthedSocket, AuthUser } from '@app/auth';

/** The user proven by the socket's handshake token. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthUser =>
    ctx.switchToWs().getClient<AuthedSocket>().data.user,
);

/** The success ack: `{status: "OK", ...fields}`. */
export const ok = <T extends object>(fields?: T) => ({ status: 'OK' as const, ...fields });
