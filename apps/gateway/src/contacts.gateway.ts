import { SubscribeMessage } from '@nestjs/websockets';
import type { AuthUser } from '@app/auth';
import { ContactsService, EmailDto } from '@app/contacts';
import { RateLimit } from './rate-limit';
import { SocketHandlers } from './socket-router';

@SocketHandlers()
export class ContactsGateway {
  constructor(private readonly contacts: ContactsService) {}

  @SubscribeMessage('sendContactRequest')
  @RateLimit('contactRequest')
  sendContactRequest(user: AuthUser, dto: EmailDto) {
    return this.contacts.sendRequest(user, dto.email);
  }

  @SubscribeMessage('acceptContactRequest')
  acceptContactRequest(user: AuthUser, dto: EmailDto) {
    return this.contacts.acceptRequest(user, dto.email);
  }

  @SubscribeMessage('declineContactRequest')
  declineContactRequest(user: AuthUser, dto: EmailDto) {
    return this.contacts.declineRequest(user, dto.email);
  }

  @SubscribeMessage('removeContact')
  removeContact(user: AuthUser, dto: EmailDto) {
    return this.contacts.removeContact(user, dto.email);
  }
}
