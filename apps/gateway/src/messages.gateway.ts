import { SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import { ContactChatMessageDto, GroupChatMessageDto, SendService } from '@app/delivery';
import { RateLimit } from './rate-limit';
import { SocketHandlers } from './socket-router';

/** Sends are acknowledged `{status:"OK", id, sentAt}` only once the message is committed. */
@SocketHandlers()
export class MessagesGateway {
  constructor(private readonly send: SendService) {}

  @SubscribeMessage('contactChatMessage')
  @RateLimit('message')
  contactChatMessage(user: AuthUser, dto: ContactChatMessageDto) {
    return this.send.sendToContact(user, dto);
  }

  @SubscribeMessage('groupChatMessage')
  @RateLimit('message')
  groupChatMessage(user: AuthUser, dto: GroupChatMessageDto) {
    return this.send.sendToGroup(user, dto);
  }
}
