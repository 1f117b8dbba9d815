import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import { ContactChatMessageDto, DeliveryService, GroupChatMessageDto } from '@app/delivery';
import { BowlGateway } from './bowl-gateway.decorator';
import { CurrentUser, ok } from './current-user.decorator';

/** Sends are acknowledged `{status:"OK", id, sentAt}` only once the message is stored. */
@BowlGateway()
export class MessagesGateway {
  constructor(private readonly delivery: DeliveryService) {}

  @SubscribeMessage('contactChatMessage')
  async contactChatMessage(
    @CurrentUser() user: AuthUser,
    @MessageBody() dto: ContactChatMessageDto,
  ) {
    return ok(await this.delivery.sendToContact(user, dto));
  }

  @SubscribeMessage('groupChatMessage')
  async groupChatMessage(@CurrentUser() user: AuthUser, @MessageBody() dto: GroupChatMessageDto) {
    return ok(await this.delivery.sendToGroup(user, dto));
  }
}
