import { JwtService } from '@nestjs/jwt';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { BenchDatabase } from './infra';

/**
 * Bench users are written straight into the bench database with tokens the bench signs with the
 * gateways' secret: registering over HTTP costs a scrypt hash (32 MiB, tens of ms) per user.
 * This file is the bench's one contract with Bowl's tables and token claims.
 */

/** No password verifies against it (not a scrypt hash): bench users cannot log in. */
const NO_PASSWORD = 'bench-user-without-password';
const TOKEN_TTL = '6h';

export interface BenchUser {
  id: string;
  email: string;
  token: string;
}

export interface BenchGroup {
  id: string;
  members: BenchUser[];
}

let publicKey: string | undefined;

/** One RSA-2048 public key for every bench user (base64 DER SPKI, as clients register it). */
function sharedPublicKey(): string {
  publicKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');
  return publicKey;
}

class Population {
  private readonly jwt: JwtService;

  /** `db`: a connected client of the bench database; `secret`: the gateways' JWT_SECRET. */
  constructor(
    private readonly db: Client,
    secret: string,
  ) {
    this.jwt = new JwtService({
      secret,
      signOptions: { algorithm: 'HS256', expiresIn: TOKEN_TTL },
    });
  }

  /** `count` new users named `bench-<label>-<i>@example.com`, each with an empty mailbox. */
  async users(label: string, count: number): Promise<BenchUser[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    const emails = ids.map((_, i) => `bench-${label}-${i}@example.com`);
    await this.db.query(
      `INSERT INTO users (id, email, name, password_hash, public_key)
       SELECT id, email, 'Bench User', $3, $4 FROM unnest($1::uuid[], $2::text[]) AS u(id, email)`,
      [ids, emails, NO_PASSWORD, sharedPublicKey()],
    );
    await this.db.query('INSERT INTO mailboxes (user_id) SELECT unnest($1::uuid[])', [ids]);
    return ids.map((id, i) => ({
      id,
      email: emails[i],
      token: this.jwt.sign({ sub: id, email: emails[i] }),
    }));
  }

  /** `count` new users, each pair (0,1), (2,3)… contacts of each other, as after an accepted request. */
  async pairs(label: string, count: number): Promise<BenchUser[]> {
    const users = await this.users(label, count);
    const ids = users.map((u) => u.id);
    const partners = users.map((_, i) => ids[i ^ 1]);
    await this.db.query(
      'INSERT INTO contacts (user_id, contact_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])',
      [ids, partners],
    );
    return users;
  }

  /** A group of `members`, the first one its admin. */
  async group(members: BenchUser[]): Promise<BenchGroup> {
    const id = randomBytes(12).toString('hex');
    await this.db.query(`INSERT INTO groups (id, name) VALUES ($1, 'Bench group')`, [id]);
    await this.db.query(
      `INSERT INTO group_members (group_id, user_id, is_admin, encrypted_group_key)
       SELECT $1, m.id, m.n = 1, $3 FROM unnest($2::uuid[]) WITH ORDINALITY AS m(id, n)`,
      [id, members.map((m) => m.id), randomBytes(256).toString('base64')],
    );
    return { id, members };
  }
}

/** The users of each scenario, written straight into Bowl's database (the relay needs none). */
export async function populate(
  db: BenchDatabase,
  secret: string,
  sizes: { users: number; groupSize: number; idleSockets: number },
) {
  const client = await db.connect();
  try {
    const population = new Population(client, secret);
    return {
      closed: await population.pairs('closed', sizes.users),
      open: await population.pairs('open', sizes.users),
      group: await population.group(await population.users('group', sizes.groupSize)),
      backlog: (await population.pairs('backlog', 2)) as [BenchUser, BenchUser],
      idle: await population.users('idle', sizes.idleSockets),
    };
  } finally {
    await client.end();
  }
}
