import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import { ContactsService, EmailDto } from '@app/contacts';
import { BowlGateway } from './bowl-gateway.decorator';
import { CurrentUser, ok } from './current-user.decorator';

@BowlGateway()
export class ContactsGateway {
  constructor(private readonly contacts: ContactsService) {}

  @SubscribeMessage('sendContactRequest')
  async sendContactRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: EmailDto) {
    return ok(await this.contacts.sendRequest(user, dto.email));
  }

  @SubscribeMessage('acceptContactRequest')
  async acceptContactRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: EmailDto) {
    return ok(await this.contacts.acceptRequest(user, dto.email));
  }

  @SubscribeMessage('declineContactRequest')
  async declineContactRequest(@CurrentUser() user: AuthUser, @MessageBody() dto: EmailDto) {
    await this.contacts.declineRequest(user, dto.email);
    return ok();
  }

  @SubscribeMessage('removeContact')
  async removeContact(@CurrentUser() user: AuthUser, @MessageBody() dto: EmailDto) {
    await this.contacts.removeContact(user, dto.email);
    return ok();
  }
}
