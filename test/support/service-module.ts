import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AuthModule, AuthUser, RegisterDto, AuthService, UsersRepository } from '@app/auth';
import { APP_CONFIG, AppConfig, Notifier } from '@app/common';
import { ContactsModule } from '@app/contacts';
import { DatabaseModule, RedisModule } from '@app/database';
import { DeliveryModule } from '@app/delivery';
import { GroupsModule } from '@app/groups';
import { PresenceModule } from '@app/presence';
import { generateKeyPairSync } from 'node:crypto';
import { testConfig } from './test-app';

/** A Notifier that records what would have been pushed to sockets. */
export class RecordingNotifier extends Notifier {
  readonly sent: { userIds: string[]; event: string; payload: Record<string, unknown> }[] = [];

  toUsers(userIds: readonly string[], event: string, payload: object): void {
    this.sent.push({ userIds: [...userIds], event, payload: payload as Record<string, unknown> });
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

export interface ServiceHarness {
  app: INestApplicationContext;
  notifier: RecordingNotifier;
  config: AppConfig;
  /** Registers a user straight through AuthService; returns who they are. */
  user(name?: string): Promise<AuthUser & { name: string; publicKey: string }>;
  close(): Promise<void>;
}

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
    ],
    exports: [APP_CONFIG, Notifier],
  })
  class TestGlobals {}

  const moduleRef = await Test.createTestingModule({
    imports: [
      TestGlobals,
      DatabaseModule.forRoot(config.DATABASE_URL),
      RedisModule.forRoot(config.REDIS_URL),
      AuthModule.forRoot({ secret: config.JWT_SECRET, ttl: config.JWT_TTL }),
      ContactsModule,
      GroupsModule,
      DeliveryModule,
      PresenceModule.forRoot(),
    ],
  }).compile();
  const app = await moduleRef.init();
  const auth = app.get(AuthService);
  const users = app.get(UsersRepository);
  return {
    app,
    notifier,
    config,
    user: async (name = 'Member') => {
      const email = `svc${++seq}.${process.pid}.${Date.now()}@example.com`;
      const dto: RegisterDto = {
        name,
        email,
        password: 'long enough password',
        publicKey: PUBLIC_KEY,
      };
      await auth.register(dto);
      const record = (await users.findByEmail(email))!;
      return { id: record.id, email, name, publicKey: PUBLIC_KEY };
    },
    close: () => app.close(),
  };
}
