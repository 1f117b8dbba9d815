import { Inject, Injectable } from '@nestjs/common';
import { AuthUser, UserRecord, UsersRepository } from '@app/auth';
import { APP_CONFIG, AppConfig, Notifier, PublicProfile } from '@app/common';
import { PresenceService } from '@app/presence';
import {
  AccountGoneError,
  AlreadyContactError,
  CannotAddSelfError,
  NoPendingRequestError,
  NotAContactError,
  RequestAlreadyPendingError,
  TargetHasTooManyRequestsError,
  TooManyPendingRequestsError,
  UserNotFoundError,
} from './contacts.errors';
import { ContactsRepository } from './contacts.repository';

export const profileOf = (u: PublicProfile): PublicProfile => ({
  name: u.name,
  email: u.email,
  publicKey: u.publicKey,
});

@Injectable()
export class ContactsService {
  constructor(
    private readonly contacts: ContactsRepository,
    private readonly users: UsersRepository,
    private readonly notifier: Notifier,
    private readonly presence: PresenceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Asks `email` to become a contact. If they had already asked the caller, this accepts their
   * request instead. Either way the caller gets the target's public data.
   */
  async sendRequest(caller: AuthUser, email: string): Promise<{ contactData: PublicProfile }> {
    const target = await this.users.findByEmail(email);
    if (!target) throw new UserNotFoundError();
    if (target.id === caller.id) throw new CannotAddSelfError();
    const me = await this.self(caller);
    const relation = await this.contacts.relation(caller.id, target.id);
    if (relation === 'contact') throw new AlreadyContactError();
    if (relation === 'requested') throw new RequestAlreadyPendingError();
    const max = this.config.MAX_PENDING_CONTACT_REQUESTS;
    const outcome =
      relation === 'requestedBy'
        ? 'crossing'
        : await this.contacts.createRequestUnlessCrossing(caller.id, target.id, max);
    if (outcome === 'duplicate') throw new RequestAlreadyPendingError();
    if (outcome === 'requesterFull') throw new TooManyPendingRequestsError(max);
    if (outcome === 'addresseeFull') throw new TargetHasTooManyRequestsError(max);
    if (outcome === 'crossing') await this.accept(me, target);
    else this.notifier.toUsers([target.id], 'contactRequestReceived', profileOf(me));
    return { contactData: profileOf(target) };
  }

  async acceptRequest(caller: AuthUser, email: string): Promise<{ contactData: PublicProfile }> {
    const requester = await this.requesterOf(caller, email);
    await this.accept(await this.self(caller), requester);
    return { contactData: profileOf(requester) };
  }

  async declineRequest(caller: AuthUser, email: string): Promise<void> {
    const requester = await this.requesterOf(caller, email);
    if (!(await this.contacts.deleteRequest(requester.id, caller.id))) {
      throw new NoPendingRequestError();
    }
  }

  async removeContact(caller: AuthUser, email: string): Promise<void> {
    const other = await this.users.findByEmail(email);
    if (!other || !(await this.contacts.deleteContact(caller.id, other.id))) {
      throw new NotAContactError();
    }
    this.notifier.toUsers([other.id], 'contactRemoved', { email: caller.email });
  }

  /** Contact requests still waiting for the user's answer (replayed on every connect). */
  pendingRequestsFor(userId: string): Promise<PublicProfile[]> {
    return this.contacts.pendingRequestsFor(userId);
  }

  isContact(userId: string, otherId: string): Promise<boolean> {
    return this.contacts.areContacts(userId, otherId);
  }

  /** Resolves a 1:1 recipient: they must exist and be an accepted contact of the sender. */
  async contactByEmail(caller: AuthUser, email: string): Promise<UserRecord> {
    const other = await this.contacts.findContactByEmail(caller.id, email);
    if (!other) throw new NotAContactError('recipient is not a contact');
    return other;
  }

  private async accept(addressee: UserRecord, requester: UserRecord): Promise<void> {
    if (!(await this.contacts.acceptRequest(requester.id, addressee.id))) {
      throw new NoPendingRequestError();
    }
    this.notifier.toUsers([requester.id], 'contactRequestAccepted', profileOf(addressee));
    await this.presence.introduce(addressee, [requester]);
  }

  private async requesterOf(caller: AuthUser, email: string): Promise<UserRecord> {
    const requester = await this.users.findByEmail(email);
    if (!requester) throw new NoPendingRequestError();
    return requester;
  }

  private async self(caller: AuthUser): Promise<UserRecord> {
    const me = await this.users.findById(caller.id);
    if (!me) throw new AccountGoneError();
    return me;
  }
}
