import type { GroupMember } from '@app/sdk';

/**
 * What this browser keeps per account, in IndexedDB. The server keeps no contact list or history
 * a client could fetch, so the web client remembers them itself. Nothing here is readable without
 * the password: the private key is stored wrapped with it (format 0x05 of docs/crypto.md), group
 * keys wrapped with the public key, and the history encrypted to one's own key.
 */
export interface Account {
  email: string;
  name: string;
  publicKey: string;
  wrappedPrivateKey: string;
}

export interface Contact {
  email: string;
  name: string;
  publicKey: string;
  /** Our request waits for their answer. */
  requested?: boolean;
}

export interface Group {
  groupId: string;
  name: string;
  description: string;
  /** The group key wrapped for this account's public key (format 0x04). */
  encryptedGroupKey: string;
  members: GroupMember[];
}

export interface StoredMessage {
  id: string;
  conversation: string;
  from: string;
  sentAt: string;
  /** The text, encrypted to the account's own public key. */
  sealed: string;
}

const DATABASE = 'bowl';
const RECORDS = 'records';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** One object store of records under path-like keys (`<email>/contact/<email>`). */
export class LocalStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<LocalStore> {
    const req = indexedDB.open(DATABASE, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(RECORDS);
    return new LocalStore(await request(req));
  }

  account(email: string): Promise<Account | undefined> {
    return this.get(`account/${email}`);
  }

  saveAccount(account: Account): Promise<void> {
    return this.put(`account/${account.email}`, account);
  }

  /** The records of one account. */
  of(email: string) {
    const key = (...parts: string[]) => [email, ...parts].join('/');
    return {
      contacts: () => this.list<Contact>(key('contact', '')),
      saveContact: (c: Contact) => this.put(key('contact', c.email), c),
      deleteContact: (contactEmail: string) => this.delete(key('contact', contactEmail)),
      groups: () => this.list<Group>(key('group', '')),
      saveGroup: (g: Group) => this.put(key('group', g.groupId), g),
      deleteGroup: (groupId: string) => this.delete(key('group', groupId)),
      /** Oldest first: keys sort by the server's ISO time. */
      messages: (conversation: string) =>
        this.list<StoredMessage>(key('message', conversation, '')),
      saveMessage: (m: StoredMessage) =>
        this.put(key('message', m.conversation, `${m.sentAt}:${m.id}`), m),
    };
  }

  private records(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(RECORDS, mode).objectStore(RECORDS);
  }

  private get<T>(key: string): Promise<T | undefined> {
    return request(this.records('readonly').get(key)) as Promise<T | undefined>;
  }

  private async put(key: string, value: unknown): Promise<void> {
    await request(this.records('readwrite').put(value, key));
  }

  private async delete(key: string): Promise<void> {
    await request(this.records('readwrite').delete(key));
  }

  private list<T>(prefix: string): Promise<T[]> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    return request(this.records('readonly').getAll(range)) as Promise<T[]>;
  }
}
