import { BowlError, HttpError } from './errors.js';

/** What a login gives: the access token, and with servers that issue them a refresh token. */
export interface Session {
  accessToken: string;
  /** Absent when the server does not issue refresh tokens: the session then ends with the token. */
  refreshToken?: string;
  /** When the access token expires (epoch milliseconds), if the server said. */
  expiresAt?: number;
}

export interface RegisterInput {
  name: string;
  email: string;
  password: string;
  /** Base64 SPKI DER of the user's RSA-OAEP public key (exportPublicKey). */
  publicKey: string;
}

export interface Profile {
  name: string;
  email: string;
}

interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  /** Seconds the access token lives. */
  expiresIn?: number;
}

/** The HTTP half of Bowl: POST /auth/register, /auth/login, /auth/refresh, /auth/logout. */
export class AuthApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = (...args) => globalThis.fetch(...args),
  ) {}

  async register(input: RegisterInput): Promise<{ session: Session; user: Profile }> {
    const body = await this.post<TokenResponse & { user: Profile }>('/auth/register', input);
    return { session: toSession(body), user: body.user };
  }

  async login(email: string, password: string): Promise<Session> {
    return toSession(await this.post<TokenResponse>('/auth/login', { email, password }));
  }

  /** A new session for a refresh token; the old refresh token stops working (rotation). */
  async refresh(refreshToken: string): Promise<Session> {
    return toSession(await this.post<TokenResponse>('/auth/refresh', { refreshToken }));
  }

  /** Revokes a refresh token (idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.post('/auth/logout', { refreshToken });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(path, this.baseUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new BowlError('network', `cannot reach the server: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? (parseJson(text) as Record<string, unknown> | undefined) : undefined;
    if (res.ok) return (json ?? {}) as T;
    const message = typeof json?.message === 'string' ? json.message : `HTTP ${res.status}`;
    const code = typeof json?.code === 'string' ? json.code : `http_${res.status}`;
    throw new HttpError(res.status, code, message, retryAfterMs(res, json));
  }
}

function toSession(body: TokenResponse): Session {
  if (typeof body.accessToken !== 'string') {
    throw new BowlError('bad_response', 'the server answered without an accessToken');
  }
  return {
    accessToken: body.accessToken,
    ...(typeof body.refreshToken === 'string' && { refreshToken: body.refreshToken }),
    ...(typeof body.expiresIn === 'number' && { expiresAt: Date.now() + body.expiresIn * 1000 }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfterMs(res: Response, body?: Record<string, unknown>): number | undefined {
  if (typeof body?.retryAfterMs === 'number') return body.retryAfterMs;
  const seconds = Number(res.headers.get('retry-after') ?? NaN);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}
