import { Injectable } from '@nestjs/common';

/**
 * Where this instance is in its shutdown (main.ts on SIGTERM/SIGINT, then ConnectionGateway's
 * drain): readiness, the handshake and the socket router read it.
 *
 * - serving: everything works;
 * - unready: readiness answers 503 so load balancers stop sending new clients; all else serves;
 * - closing: new sockets and new socket events are refused with "server shutting down" while the
 *   sockets are drained; HTTP still serves until the process exits.
 */
@Injectable()
export class Shutdown {
  private phase: 'serving' | 'unready' | 'closing' = 'serving';
  /** The drain step under way, for the log line when the grace runs out. */
  step = 'waiting for the drain delay';

  get ready(): boolean {
    return this.phase === 'serving';
  }

  get closing(): boolean {
    return this.phase === 'closing';
  }

  /** Readiness answers 503 from now on. */
  begin(): void {
    if (this.phase === 'serving') this.phase = 'unready';
  }

  /** New sockets and socket events are refused from now on. */
  close(): void {
    this.phase = 'closing';
  }
}
