import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { parseRate } from './rate';
import { validationMessage } from './validation';

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

const DURATION = /^\d+(ms|s|m|h|d)?$/;

/** A rate limit setting: `<count>/<period>`, `<count>/<period> burst <n>` or `off` (see rate.ts). */
function IsRate(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must look like 100/1h, 20/1s burst 200 or off',
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseRate(value) !== undefined,
      },
    });
}

/** Every setting Bowl reads from the environment, with its rule and default. */
export class Environment {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /**
   * The nodes of a Redis Cluster to start from, instead of REDIS_URL: `host:port` (or redis:// URLs),
   * comma-separated. Notices and the socket.io adapter then use sharded pub/sub.
   */
  @IsOptional()
  @Matches(/^(rediss?:\/\/)?[\w.-]+:\d+(,\s*(rediss?:\/\/)?[\w.-]+:\d+)*$/, {
    message: 'REDIS_CLUSTER_NODES must be host:port[,host:port…]',
  })
  REDIS_CLUSTER_NODES?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @Matches(DURATION, { message: 'JWT_TTL must look like 3600, 15m, 1h or 7d' })
  JWT_TTL = '1h';

  /** Lifetime of a refresh token; each refresh hands out a new one with a new lifetime. */
  @Matches(DURATION, { message: 'REFRESH_TOKEN_TTL must look like 3600, 12h or 30d' })
  REFRESH_TOKEN_TTL = '30d';

  /**
   * Browser origins allowed to call the HTTP API and open sockets, comma-separated
   * (`https://chat.example.com,https://app.example.com`, or `*`). Empty: the same origin only.
   */
  @Matches(/^(\*|https?:\/\/[^\s,/]+(,https?:\/\/[^\s,/]+)*)?$/, {
    message: 'CORS_ORIGINS must be comma-separated origins like https://chat.example.com, or *',
  })
  CORS_ORIGINS = '';

  /**
   * How many reverse proxies (nginx, an ingress) stand in front: the client address is taken
   * from X-Forwarded-For that many hops from the right. 0: the socket's own remote address.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY = 0;

  /** Chat messages per user, fleet-wide. */
  @IsRate()
  RATE_LIMIT_MESSAGES = '20/1s burst 200';

  /** Contact requests sent per user, fleet-wide. */
  @IsRate()
  RATE_LIMIT_CONTACT_REQUESTS = '100/1h';

  /** Group invitations sent per user, fleet-wide. */
  @IsRate()
  RATE_LIMIT_GROUP_INVITATIONS = '200/1h';

  /** Events of any kind per socket (counted on its instance). */
  @IsRate()
  RATE_LIMIT_SOCKET_EVENTS = '50/1s burst 300';

  /** New socket connections per user, fleet-wide. */
  @IsRate()
  RATE_LIMIT_CONNECTIONS_PER_USER = '30/1m';

  /** New socket connections per client address, fleet-wide. */
  @IsRate()
  RATE_LIMIT_CONNECTIONS_PER_IP = '300/1m';

  /** Registrations per client address. */
  @IsRate()
  RATE_LIMIT_REGISTER_PER_IP = '20/1h';

  /** Registration attempts per email address (registered or not). */
  @IsRate()
  RATE_LIMIT_REGISTER_PER_ACCOUNT = '5/1h';

  /** Failed logins (and password changes) per client address. */
  @IsRate()
  RATE_LIMIT_LOGIN_FAILURES_PER_IP = '50/15m';

  /** Failed logins (and password changes) per email address, whether it exists or not. */
  @IsRate()
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT = '5/15m';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /**
   * How long a shutdown (SIGTERM, SIGINT) may take from the signal to the exit: the drain delay,
   * answering the events in flight, disconnecting the sockets, writing what is pending. Past it
   * the process logs what is left and exits 1.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 25_000;

  /**
   * On shutdown, how long readiness answers 503 while everything else still serves, before new
   * sockets are refused, so that load balancers stop sending new clients first. 0 where something
   * else already waits (a Kubernetes preStop hook).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  DRAIN_DELAY_MS = 0;

  /** Largest accepted `message` (ciphertext) in bytes. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024)
  MAX_MESSAGE_BYTES = 64 * 1024;

  /** Undelivered messages older than this are purged (and so never delivered). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3650)
  MESSAGE_RETENTION_DAYS = 30;

  /** Undelivered messages one user may have queued; beyond it senders get "recipient queue full". */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  MAX_QUEUED_MESSAGES = 10_000;

  /**
   * Of a recipient's MAX_QUEUED_MESSAGES, how many may come from one sender: no single sender can
   * fill someone's queue alone.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  MAX_QUEUED_PER_SENDER = 2_500;

  /**
   * Sockets one user may have open at once, fleet-wide; one more is refused at the handshake
   * (connect_error "too many connections").
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  MAX_SOCKETS_PER_USER = 10;

  /**
   * Messages a socket may have been sent without acknowledging them yet; delivery to it pauses
   * there, so a client that never reads holds a bounded amount of memory.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  DELIVERY_WINDOW = 256;

  /** Members of one group, pending invitations included; beyond it invitations are refused. */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(100_000)
  MAX_GROUP_MEMBERS = 256;

  /** Groups one user may belong to; beyond it createGroup and acceptGroupRequest are refused. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_GROUPS_PER_USER = 200;

  /** Contact requests waiting for an answer, per user and per direction (sent, received). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_PENDING_CONTACT_REQUESTS = 100;

  /** Group invitations waiting for one user's answer. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_PENDING_GROUP_INVITATIONS = 100;

  /**
   * How a stored message's notice reaches the instance holding its recipient: `per-user` (a
   * sharded pub/sub channel per user, heard only by the instances holding that user's sockets) or
   * `broadcast` (one channel every instance hears; the classic design, kept to measure against;
   * one Redis only).
   */
  @IsIn(['per-user', 'broadcast'])
  NOTICE_ROUTING: 'per-user' | 'broadcast' = 'per-user';

  /** Prefix of every Redis key and channel Bowl uses, so several deployments can share a Redis. */
  @Matches(/^[\w:.-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 of [A-Za-z0-9_:.-]' })
  REDIS_KEY_PREFIX = 'bowl:';

  /**
   * Bearer token that GET /metrics (Prometheus) requires; unset, /metrics answers 404. At least
   * 16 characters.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /**
   * Serve the unmodified Bowl Desktop client too (docs/desktop.md): its HTTP routes and socket.io
   * path under DESKTOP_COMPAT_PREFIX, and its socket dialect for connections that present their
   * token in the `token` header.
   */
  @Transform(toBoolean)
  @IsBoolean({ message: 'DESKTOP_COMPAT must be true or false' })
  DESKTOP_COMPAT = false;

  /** The desktop build's `VUE_APP_API_TOKEN`: the path its HTTP routes and socket.io live under. */
  @Matches(/^(\/[\w.~-]+)+$/, {
    message: 'DESKTOP_COMPAT_PREFIX must be a path like /desktop (letters, digits, . _ ~ -)',
  })
  @Matches(/^(?!\/(auth|health|metrics|socket\.io)(\/|$))/, {
    message: 'DESKTOP_COMPAT_PREFIX must not start with /auth, /health, /metrics or /socket.io',
  })
  DESKTOP_COMPAT_PREFIX = '/desktop';

  /**
   * Lifetime of the access tokens the desktop's login hands out: the desktop cannot refresh a
   * token, so one lives as long as a desktop session should.
   */
  @Matches(DURATION, { message: 'DESKTOP_COMPAT_TOKEN_TTL must look like 3600, 12h or 7d' })
  DESKTOP_COMPAT_TOKEN_TTL = '7d';

  /** Desktop user lookups (`GET <prefix>/user/getUserDetails`, no token) per client address. */
  @IsRate()
  RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP = '200/1h burst 50';

  /** Folder of the embedded default (database, generated secret). */
  @IsString()
  @MaxLength(4096)
  BOWL_HOME = '.bowl';
}

/** The validated environment, with the values the embedded default filled in. */
export type AppConfig = Environment & { DATABASE_URL: string; JWT_SECRET: string };

export class ConfigError extends Error {}

const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'JWT_SECRET'] as const;

/** Validates the environment; throws ConfigError with one line naming the offending variable. */
export function loadEnvironment(env: NodeJS.ProcessEnv): Environment {
  const known = Object.keys(new Environment()).concat(
    REQUIRED_IN_PRODUCTION,
    'REDIS_URL',
    'REDIS_CLUSTER_NODES',
    'METRICS_TOKEN',
  );
  const given = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => known.includes(k) && v !== undefined && v !== ''),
  );
  const config = plainToInstance(Environment, given);
  const errors = validateSync(config, { whitelist: true });
  if (errors.length) throw new ConfigError(`invalid configuration: ${validationMessage(errors)}`);
  if (config.REDIS_URL && config.REDIS_CLUSTER_NODES) {
    throw new ConfigError('set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both');
  }
  if (config.REDIS_CLUSTER_NODES && config.NOTICE_ROUTING === 'broadcast') {
    throw new ConfigError('NOTICE_ROUTING=broadcast needs one Redis (REDIS_URL), not a cluster');
  }
  if (config.NODE_ENV === 'production') {
    const missing = REQUIRED_IN_PRODUCTION.find((name) => !config[name]);
    if (missing) throw new ConfigError(`${missing} is required when NODE_ENV=production`);
  }
  if (config.DRAIN_DELAY_MS >= config.SHUTDOWN_GRACE_MS) {
    throw new ConfigError('DRAIN_DELAY_MS must be shorter than SHUTDOWN_GRACE_MS');
  }
  return config;
}

/** Injection token of the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
