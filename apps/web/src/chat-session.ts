import {
  BowlClient,
  chatTimestamp,
  ConnectionStatus,
  createGroupKey,
  decryptGroupMessage,
  decryptMessage,
  encryptGroupMessage,
  encryptMessage,
  exportPrivateKey,
  exportPublicKey,
  generateKeyPair,
  GroupInvitation,
  importPrivateKey,
  importPublicKey,
  NotAContactError,
  NotGroupMemberError,
  PublicProfile,
  unwrapGroupKey,
  wrapGroupKey,
} from '@app/sdk';
import { Account, Contact, Group, LocalStore, StoredMessage } from './local-store';

export type ConversationId = `contact:${string}` | `group:${string}`;

export interface ChatMessage {
  id: string;
  from: string;
  text: string;
  sentAt: string;
  state: 'sending' | 'sent' | 'failed';
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
/** How much history a conversation loads from this browser. */
const HISTORY = 200;

/**
 * One signed-in user in the browser: the SDK connection, the keys, and what the views show
 * (contacts, requests, groups, invitations, presence, conversations). Views subscribe with
 * onChange (and onNotice for news that is not in the lists) and call the actions; an action that
 * the server refuses throws the SDK's typed error. The SDK refreshes the access token and hands
 * it to the socket before it expires; when the server ends the session anyway, `status` says why.
 */
export class ChatSession {
  readonly contacts = new Map<string, Contact & { key: CryptoKey }>();
  readonly requests = new Map<string, PublicProfile>();
  readonly groups = new Map<string, Group & { key: CryptoKey }>();
  readonly invitations = new Map<string, GroupInvitation>();
  readonly online = new Set<string>();
  readonly unread = new Set<ConversationId>();
  status: ConnectionStatus = { state: 'closed' };
  /** The conversation on screen: its new messages are not unread. */
  active?: ConversationId;
  private readonly conversations = new Map<ConversationId, ChatMessage[]>();
  /** Conversations whose stored history has been loaded. */
  private readonly loaded = new Set<ConversationId>();
  private readonly listeners = new Set<() => void>();
  private readonly noticeListeners = new Set<(text: string) => void>();
  private readonly records: ReturnType<LocalStore['of']>;

  private constructor(
    readonly me: Account,
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly client: BowlClient,
    store: LocalStore,
  ) {
    this.records = store.of(me.email);
  }

  /** Makes a key pair here, registers, and keeps the private key wrapped with the password. */
  static async register(
    store: LocalStore,
    input: { name: string; email: string; password: string },
  ): Promise<ChatSession> {
    const keys = await generateKeyPair();
    const publicKey = await exportPublicKey(keys.publicKey);
    const client = new BowlClient({ url: location.origin });
    const user = await client.register({ ...input, publicKey });
    const account = {
      ...user,
      publicKey,
      wrappedPrivateKey: await exportPrivateKey(keys.privateKey, input.password),
    };
    await store.saveAccount(account);
    return ChatSession.start(store, client, account, keys.privateKey);
  }

  /** Logs in and opens the private key this browser keeps for the account. */
  static async login(
    store: LocalStore,
    input: { email: string; password: string },
  ): Promise<ChatSession> {
    const account = await store.account(input.email.trim().toLowerCase());
    if (!account) {
      throw new Error(
        'This browser has no key for that account: Bowl keeps private keys only in the browser ' +
          'that registered them.',
      );
    }
    const client = new BowlClient({ url: location.origin });
    await client.login(account.email, input.password);
    const privateKey = await importPrivateKey(account.wrappedPrivateKey, input.password);
    return ChatSession.start(store, client, account, privateKey);
  }

  private static async start(
    store: LocalStore,
    client: BowlClient,
    account: Account,
    privateKey: CryptoKey,
  ): Promise<ChatSession> {
    const publicKey = await importPublicKey(account.publicKey);
    const session = new ChatSession(account, privateKey, publicKey, client, store);
    await session.restore();
    session.listen();
    void client.connect().catch(() => undefined); // the status shows how it goes
    return session;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** News for the person that no list shows (an invitation withdrawn, messages lost). */
  onNotice(listener: (text: string) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  async logout(): Promise<void> {
    await this.client.logout().catch(() => undefined);
  }

  // ------------------------------------------------------------------------------ actions

  async addContact(email: string): Promise<void> {
    const { contactData } = await this.client.request('sendContactRequest', { email });
    // If they had asked us first, the server made us contacts right away; online or
    // contactRequestAccepted tells us either way.
    await this.saveContact({ ...contactData, requested: !this.requests.has(contactData.email) });
    this.requests.delete(contactData.email);
    this.changed();
  }

  async acceptRequest(email: string): Promise<void> {
    const { contactData } = await this.client.request('acceptContactRequest', { email });
    this.requests.delete(email);
    await this.saveContact(contactData);
    this.changed();
  }

  async declineRequest(email: string): Promise<void> {
    await this.client.request('declineContactRequest', { email });
    this.requests.delete(email);
    this.changed();
  }

  async removeContact(email: string): Promise<void> {
    try {
      await this.client.request('removeContact', { email });
    } catch (err) {
      if (!(err instanceof NotAContactError)) throw err; // they removed us first
    }
    await this.forgetContact(email);
  }

  async send(conversation: ConversationId, plaintext: string): Promise<void> {
    const [kind, id] = split(conversation);
    const message = await (kind === 'contact'
      ? encryptMessage(this.contact(id).key, plaintext)
      : encryptGroupMessage(this.group(id).key, plaintext));
    const draft: ChatMessage = {
      id: `local-${crypto.randomUUID()}`,
      from: this.me.email,
      text: plaintext,
      sentAt: new Date().toISOString(),
      state: 'sending',
    };
    this.append(conversation, draft);
    try {
      const fields = { ...chatTimestamp(), messageType: 'text', message };
      const receipt = await (kind === 'contact'
        ? this.client.request('contactChatMessage', { ...fields, to: id })
        : this.client.request('groupChatMessage', { ...fields, groupId: id }));
      Object.assign(draft, { id: receipt.id, sentAt: receipt.sentAt, state: 'sent' });
      await this.keep(conversation, draft);
    } catch (err) {
      draft.state = 'failed';
      // Removed while we were away (nobody told us): the server knows better than this browser.
      if (err instanceof NotAContactError) await this.forgetContact(id);
      if (err instanceof NotGroupMemberError) await this.dropGroup(id);
      throw err;
    } finally {
      this.changed();
    }
  }

  async createGroup(name: string, description: string): Promise<string> {
    const key = await createGroupKey();
    const encryptedGroupKey = await wrapGroupKey(key, this.publicKey);
    const { groupId } = await this.client.request('createGroup', {
      name,
      encryptedGroupKey,
      ...(description && { description }),
    });
    const me = { name: this.me.name, email: this.me.email, publicKey: this.me.publicKey };
    await this.saveGroup({
      groupId,
      name,
      description,
      encryptedGroupKey,
      members: [{ ...me, isAdmin: true }],
    });
    this.changed();
    return groupId;
  }

  async invite(groupId: string, email: string): Promise<void> {
    const encryptedGroupKey = await wrapGroupKey(this.group(groupId).key, this.contact(email).key);
    await this.client.request('sendGroupRequest', { groupId, email, encryptedGroupKey });
  }

  async acceptInvitation(groupId: string): Promise<void> {
    const invitation = this.invitations.get(groupId);
    if (!invitation) return;
    await unwrapGroupKey(invitation.encryptedGroupKey, this.privateKey); // fail before joining
    const { members } = await this.client.request('acceptGroupRequest', { groupId });
    this.invitations.delete(groupId);
    const { name, description, encryptedGroupKey } = invitation;
    await this.saveGroup({ groupId, name, description, encryptedGroupKey, members });
    this.changed();
  }

  async declineInvitation(groupId: string): Promise<void> {
    await this.client.request('declineGroupRequest', { groupId });
    this.invitations.delete(groupId);
    this.changed();
  }

  async leaveGroup(groupId: string): Promise<void> {
    await this.client.request('leaveGroup', { groupId });
    await this.dropGroup(groupId);
  }

  /** Shows a conversation, loading this browser's history of it the first time. */
  async open(conversation: ConversationId): Promise<void> {
    this.active = conversation;
    this.unread.delete(conversation);
    if (!this.loaded.has(conversation)) {
      this.loaded.add(conversation);
      const stored = (await this.records.messages(conversation)).slice(-HISTORY);
      const history = await Promise.all(stored.map((m) => this.unseal(m)));
      // Messages that arrived meanwhile are stored too; the rest (sending now) go last.
      const ids = new Set(history.map((m) => m.id));
      const live = this.messages(conversation).filter((m) => !ids.has(m.id));
      this.conversations.set(conversation, [...history, ...live]);
    }
    this.changed();
  }

  messages(conversation: ConversationId): ChatMessage[] {
    return this.conversations.get(conversation) ?? [];
  }

  nameOf(email: string): string {
    if (email === this.me.email) return 'You';
    return this.contacts.get(email)?.name ?? this.memberName(email) ?? email;
  }

  // ------------------------------------------------------------------------------ events

  private listen(): void {
    const c = this.client;
    c.onStatus((status) => {
      this.status = status;
      if (status.state !== 'online') this.online.clear();
      this.changed();
    });
    c.on('onlineChats', ({ contacts, groups }) => this.onlineChats(contacts, groups));
    c.on('online', ({ email }) => this.presence(email, true));
    c.on('offline', ({ email }) => this.presence(email, false));
    c.on('contactRequestReceived', (profile) => {
      this.requests.set(profile.email, profile);
      this.changed();
    });
    c.on('contactRequestAccepted', async (profile) => {
      await this.saveContact(profile);
      this.changed();
    });
    c.on('contactRemoved', ({ email }) => this.forgetContact(email));
    c.on('groupRequestReceived', (invitation) => {
      this.invitations.set(invitation.groupId, invitation);
      this.changed();
    });
    c.on('groupRequestCancelled', ({ groupId }) => {
      const invitation = this.invitations.get(groupId);
      if (!invitation) return;
      this.invitations.delete(groupId);
      this.notify(`The invitation to ${invitation.name} was withdrawn.`);
      this.changed();
    });
    // The SDK acknowledges it once this ran: the server then forgets the count.
    c.on('messagesDropped', ({ count }) => {
      const messages = count === 1 ? '1 group message' : `${count} group messages`;
      this.notify(`${messages} did not reach you: too many messages were waiting for you.`);
    });
    c.on('newGroupMember', async ({ groupId, ...member }) => {
      await this.updateGroup(groupId, (g) => g.members.push({ ...member, isAdmin: false }));
    });
    c.on('groupMemberLeft', async ({ groupId, email }) => {
      if (email === this.me.email) return this.dropGroup(groupId);
      await this.updateGroup(
        groupId,
        (g) => (g.members = g.members.filter((m) => m.email !== email)),
      );
    });
    c.on('groupMemberPromoted', async ({ groupId, email }) => {
      await this.updateGroup(groupId, (g) =>
        g.members.forEach((m) => m.email === email && (m.isAdmin = true)),
      );
    });
    // The SDK acknowledges a message once these resolve, i.e. once it is stored here.
    c.on('contactChatMessage', async (m) => {
      const plaintext = await this.readable(() => decryptMessage(this.privateKey, m.message));
      await this.receive(`contact:${m.from}`, { ...m, text: plaintext });
    });
    c.on('groupChatMessage', async (m) => {
      const group = this.groups.get(m.groupId);
      const plaintext = group
        ? await this.readable(() => decryptGroupMessage(group.key, m.message))
        : '[a message for a group whose key is not in this browser]';
      await this.receive(`group:${m.groupId}`, { ...m, text: plaintext });
    });
  }

  private onlineChats(contacts: string[], groups: { groupId: string; persons: string[] }[]) {
    this.online.clear();
    // The server sends every request and invitation still waiting right after this, on each
    // connect: those it no longer sends were withdrawn or answered meanwhile.
    this.requests.clear();
    this.invitations.clear();
    for (const email of [...contacts, ...groups.flatMap((g) => g.persons)]) this.online.add(email);
    // An online contact has accepted us, even if we missed contactRequestAccepted.
    for (const email of contacts) void this.confirmContact(email);
    // Groups the server no longer lists were left or removed while we were away.
    const current = new Set(groups.map((g) => g.groupId));
    for (const groupId of [...this.groups.keys()]) {
      if (!current.has(groupId)) void this.dropGroup(groupId);
    }
    this.changed();
  }

  private presence(email: string, isOnline: boolean): void {
    if (isOnline) {
      this.online.add(email);
      void this.confirmContact(email);
    } else this.online.delete(email);
    this.changed();
  }

  private async receive(
    conversation: ConversationId,
    m: { id: string; from: string; sentAt: string; text: string },
  ): Promise<void> {
    const message: ChatMessage = {
      id: m.id,
      from: m.from,
      text: m.text,
      sentAt: m.sentAt,
      state: 'sent',
    };
    await this.keep(conversation, message);
    this.append(conversation, message);
    if (conversation !== this.active) this.unread.add(conversation);
    this.changed();
  }

  /** Decrypts, or says why not: a message that can never be read must not block the queue. */
  private async readable(decrypt: () => Promise<Uint8Array>): Promise<string> {
    try {
      return text(await decrypt());
    } catch (err) {
      return `[cannot decrypt this message: ${(err as Error).message}]`;
    }
  }

  // ------------------------------------------------------------------------------ state

  private async restore(): Promise<void> {
    const [contacts, groups] = await Promise.all([this.records.contacts(), this.records.groups()]);
    for (const contact of contacts) {
      this.contacts.set(contact.email, {
        ...contact,
        key: await importPublicKey(contact.publicKey),
      });
    }
    for (const group of groups) {
      const key = await unwrapGroupKey(group.encryptedGroupKey, this.privateKey);
      this.groups.set(group.groupId, { ...group, key });
    }
  }

  private async saveContact(contact: Contact): Promise<void> {
    const record: Contact = {
      name: contact.name,
      email: contact.email,
      publicKey: contact.publicKey,
      ...(contact.requested && { requested: true }),
    };
    this.contacts.set(contact.email, { ...record, key: await importPublicKey(contact.publicKey) });
    await this.records.saveContact(record);
  }

  private async confirmContact(email: string): Promise<void> {
    const contact = this.contacts.get(email);
    if (!contact?.requested) return;
    const { key: _key, requested: _requested, ...record } = contact;
    await this.saveContact(record);
    this.changed();
  }

  private async forgetContact(email: string): Promise<void> {
    this.contacts.delete(email);
    await this.records.deleteContact(email);
    this.changed();
  }

  private async saveGroup(group: Group): Promise<void> {
    const key = await unwrapGroupKey(group.encryptedGroupKey, this.privateKey);
    this.groups.set(group.groupId, { ...group, key });
    await this.records.saveGroup(group);
  }

  private async updateGroup(groupId: string, change: (group: Group) => void): Promise<void> {
    const group = this.groups.get(groupId);
    if (!group) return;
    change(group);
    const { key: _key, ...record } = group;
    await this.records.saveGroup(record);
    this.changed();
  }

  private async dropGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId);
    await this.records.deleteGroup(groupId);
    this.changed();
  }

  private append(conversation: ConversationId, message: ChatMessage): void {
    const list = this.conversations.get(conversation) ?? [];
    if (!list.some((m) => m.id === message.id)) list.push(message);
    this.conversations.set(conversation, list);
  }

  /** Stores a message in this browser's history, encrypted to our own key. */
  private async keep(conversation: ConversationId, m: ChatMessage): Promise<void> {
    const sealed = await encryptMessage(this.publicKey, m.text);
    await this.records.saveMessage({
      id: m.id,
      conversation,
      from: m.from,
      sentAt: m.sentAt,
      sealed,
    });
  }

  private async unseal(m: StoredMessage): Promise<ChatMessage> {
    const plaintext = await this.readable(() => decryptMessage(this.privateKey, m.sealed));
    return { id: m.id, from: m.from, sentAt: m.sentAt, text: plaintext, state: 'sent' };
  }

  private contact(email: string) {
    const contact = this.contacts.get(email);
    if (!contact) throw new Error(`${email} is not among your contacts`);
    return contact;
  }

  private group(groupId: string) {
    const group = this.groups.get(groupId);
    if (!group) throw new Error('you are not in that group');
    return group;
  }

  private memberName(email: string): string | undefined {
    for (const group of this.groups.values()) {
      const member = group.members.find((m) => m.email === email);
      if (member) return member.name;
    }
    return undefined;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private notify(text: string): void {
    for (const listener of this.noticeListeners) listener(text);
  }
}

export function split(conversation: ConversationId): ['contact' | 'group', string] {
  const at = conversation.indexOf(':');
  return [conversation.slice(0, at) as 'contact' | 'group', conversation.slice(at + 1)];
}
