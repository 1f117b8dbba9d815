import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';

/** A connected socket as far as its session's expiry is concerned. */
export interface ExpiringSocket {
  data: { expiresAt: number };
  emit(event: 'sessionEnded', payload: { reason: 'token expired' }): unknown;
  disconnect(close: boolean): unknown;
}

const TICK_MS = 1000;

/**
 * Ends each socket when its access token expires: `sessionEnded {reason:"token expired"}`, then
 * disconnect. No timer per socket: sockets wait in buckets by expiry second, and one interval per
 * instance ends the buckets whose second has come.
 */
@Injectable()
export class SessionExpiry implements OnModuleInit, OnModuleDestroy {
  /** At most one bucket per second of the token lifetime (JWT_TTL), whatever the socket count. */
  private readonly buckets = new Map<number, Set<ExpiringSocket>>();
  private timer?: NodeJS.Timeout;

  onModuleInit(): void {
    this.timer = setInterval(() => this.expire(nowSeconds()), TICK_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Starts watching a socket, whose `data.expiresAt` is its token's `exp` (seconds). */
  track(socket: ExpiringSocket): void {
    const second = socket.data.expiresAt;
    let bucket = this.buckets.get(second);
    if (!bucket) this.buckets.set(second, (bucket = new Set()));
    bucket.add(socket);
  }

  untrack(socket: ExpiringSocket): void {
    const second = socket.data.expiresAt;
    const bucket = this.buckets.get(second);
    if (bucket?.delete(socket) && bucket.size === 0) this.buckets.delete(second);
  }

  /** Moves a socket to a new expiry (a renewed token). */
  extend(socket: ExpiringSocket, expiresAt: number): void {
    this.untrack(socket);
    socket.data.expiresAt = expiresAt;
    this.track(socket);
  }

  /** Ends every socket whose token has expired by `now` (seconds): a token is valid while now < exp. */
  expire(now: number): void {
    for (const [second, bucket] of this.buckets) {
      if (second > now) continue;
      this.buckets.delete(second); // before disconnecting: disconnect handlers untrack
      for (const socket of bucket) {
        socket.emit('sessionEnded', { reason: 'token expired' });
        socket.disconnect(true);
      }
    }
  }

  /** Sockets being watched (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.size;
    return n;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
