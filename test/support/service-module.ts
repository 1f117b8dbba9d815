import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuthModule, AuthUser, UsersRepository } from '@app/auth';
import {
  APP_CONFIG,
  AppConfig,
  Metrics,
  NoMetrics,
  Notifier,
  PushedEvent,
  SessionEndReason,
} from '@app/common';
import type { ServerEvents } from '@app/protocol';
import { ContactsModule, ContactsService } from '@app/contacts';
import { DatabaseModule, RedisModule, redisTargetOf } from '@app/database';
import { DeliveryModule, DeliveryTransport, QueuedDelivery } from '@app/delivery';
import { CreateGroupDto, GroupsModule, GroupsService, SendGroupRequestDto } from '@app/groups';
import { PresenceModule } from '@app/presence';
import { generateKeyPairSync } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from './database';
import { testConfig } from './test-app';

/** A Notifier that records what would have been pushed to sockets. */
export class RecordingNotifier extends Notifier {
  readonly sent: { userIds: string[]; event: string; payload: Record<string, unknown> }[] = [];

  toUsers<E extends PushedEvent>(
    userIds: readonly string[],
    event: E,
    payload: ServerEvents[E],
  ): void {
    this.sent.push({ userIds: [...userIds], event, payload: payload as Record<string, unknown> });
  }

  readonly ended: {
    who: { userIds?: readonly string[]; sessionIds?: readonly string[] };
    reason: SessionEndReason;
  }[] = [];

  endSessions(
    who: { userIds?: readonly string[]; sessionIds?: readonly string[] },
    reason: SessionEndReason,
  ): void {
    this.ended.push({ who, reason });
  }

  /** Payloads of `event` sent to `userId`. */
  to(userId: string, event: string): Record<string, unknown>[] {
    return this.sent
      .filter((s) => s.event === event && s.userIds.includes(userId))
      .map((s) => s.payload);
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/** A socket as the service tests see one: what the pump writes to it goes to these callbacks. */
export interface FakeSocket {
  receive(delivery: QueuedDelivery, onAck: () => void): void;
  dropped?(count: number, onAck: () => void): void;
}

/** Hands what a pump writes to the fake socket it was written to. */
export class FakeSocketTransport extends DeliveryTransport {
  write(socket: object, delivery: QueuedDelivery, onAck: () => void): void {
    (socket as FakeSocket).receive(delivery, onAck);
  }

  tellDropped(socket: object, count: number, onAck: () => void): void {
    (socket as FakeSocket).dropped?.(count, onAck);
  }
}

/** A user made by the harness: who they are and what others see of them. */
export type HarnessUser = AuthUser & { name: string; publicKey: string };

export interface ServiceHarness {
  app: INestApplicationContext;
  notifier: RecordingNotifier;
  config: AppConfig;
  /**
   * A user straight through UsersRepository, with a valid public key. Registering through
   * AuthService would cost a deliberately slow password hash (~0.3 s) each; these users have no
   * usable password and cannot log in.
   */
  user(name?: string): Promise<HarnessUser>;
  /** `user` for each name, made in parallel; in the order given. */
  users(...names: string[]): Promise<HarnessUser[]>;
  /** `a` asks each of `others` in turn, who accepts (ContactsService): they become contacts. */
  makeContacts(a: HarnessUser, ...others: HarnessUser[]): Promise<void>;
  /**
   * A group named 'Group' created by `admin` (wrapped key GROUP_KEY), which `members` join in the
   * order given (see `join`). Returns its id.
   */
  groupOf(admin: HarnessUser, ...members: HarnessUser[]): Promise<string>;
  /**
   * `member` joins `admin`'s group: made a contact of `admin` unless already one (inviting
   * requires it), invited with GROUP_KEY, accepts.
   */
  join(admin: HarnessUser, groupId: string, member: HarnessUser): Promise<void>;
  close(): Promise<void>;
}

/** The wrapped group key `groupOf` and `join` hand out: opaque base64 to the server. */
export const GROUP_KEY = 'c2VjcmV0LWdyb3VwLWtleQ==';

const PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ format: 'der', type: 'spki' })
  .toString('base64');

let seq = 0;

/**
 * The real services and repositories on a real PostgreSQL database (no sockets): contacts,
 * groups, delivery and presence (in-memory store unless REDIS_URL is passed in `env`).
 */
export async function createServiceHarness(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceHarness> {
  const config = testConfig(databaseUrl, env);
  const notifier = new RecordingNotifier();

  @Global()
  @Module({
    providers: [
      { provide: APP_CONFIG, useValue: config },
      { provide: Notifier, useValue: notifier },
      { provide: DeliveryTransport, useClass: FakeSocketTransport },
      { provide: Metrics, useClass: NoMetrics },
    ],
    exports: [APP_CONFIG, Notifier, DeliveryTransport, Metrics],
  })
  class TestGlobals {}

  const moduleRef = await Test.createTestingModule({
    imports: [
      TestGlobals,
      DatabaseModule.forRoot(config.DATABASE_URL),
      RedisModule.forRoot(redisTargetOf(config)),
      AuthModule.forRoot({
        secret: config.JWT_SECRET,
        ttl: config.JWT_TTL,
        refreshTtl: config.REFRESH_TOKEN_TTL,
      }),
      ContactsModule,
      GroupsModule,
      DeliveryModule,
      PresenceModule.forRoot(),
    ],
  }).compile();
  const app = await moduleRef.init();
  const usersRepository = app.get(UsersRepository);
  const contacts = app.get(ContactsService);
  const groups = app.get(GroupsService);

  const user = async (name = 'Member'): Promise<HarnessUser> => {
    const email = `svc${++seq}.${process.pid}.${Date.now()}@example.com`;
    const record = await usersRepository.create({
      email,
      name,
      passwordHash: 'unused',
      publicKey: PUBLIC_KEY,
    });
    return { id: record.id, email, name, publicKey: record.publicKey };
  };

  const makeContacts = async (a: HarnessUser, ...others: HarnessUser[]): Promise<void> => {
    for (const b of others) {
      await contacts.sendRequest(a, b.email);
      await contacts.acceptRequest(b, a.email);
    }
  };

  const join = async (admin: HarnessUser, groupId: string, member: HarnessUser): Promise<void> => {
    if (!(await contacts.isContact(admin.id, member.id))) await makeContacts(admin, member);
    await groups.invite(admin, {
      groupId,
      email: member.email,
      encryptedGroupKey: GROUP_KEY,
    } as SendGroupRequestDto);
    await groups.acceptInvite(member, groupId);
  };

  return {
    app,
    notifier,
    config,
    user,
    users: (...names) => Promise.all(names.map((name) => user(name))),
    makeContacts,
    groupOf: async (admin, ...members) => {
      const { groupId } = await groups.create(admin, {
        name: 'Group',
        encryptedGroupKey: GROUP_KEY,
      } as CreateGroupDto);
      for (const member of members) await join(admin, groupId, member);
      return groupId;
    },
    join,
    close: () => app.close(),
  };
}

export interface ServiceSpecContext {
  db: TestDatabase;
  h: ServiceHarness;
  /** A plain client on the same database, for asserting on rows. */
  pg: Client;
}

/**
 * The setup every service spec shares: a fresh database, the harness on it and a pg client, made
 * in beforeAll and removed in afterAll. Fields are filled once beforeAll has run.
 */
export function useServiceHarness(env: Record<string, string> = {}): ServiceSpecContext {
  const ctx = {} as ServiceSpecContext;
  beforeAll(async () => {
    ctx.db = await createTestDatabase();
    ctx.h = await createServiceHarness(ctx.db.url, env);
    ctx.pg = new Client({ connectionString: ctx.db.url });
    await ctx.pg.connect();
  });
  afterAll(async () => {
    await ctx.pg?.end();
    await ctx.h?.close();
    await ctx.db?.drop();
  });
  return ctx;
}
