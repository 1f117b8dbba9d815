import type { IncomingHttpHeaders } from 'node:http';

/** The parts of a socket.io handshake a client may present its access token in. */
export interface Handshake {
  auth: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/**
 * How one kind of client speaks Bowl's socket events. The handshake picks it per connection (the
 * first dialect of the configured list whose token is present) and keeps it on `socket.data`;
 * the router and the delivery transport ask it at the few points where clients differ. One
 * shared object per dialect: nothing is made per socket.
 */
export interface SocketDialect {
  /** The access token as this kind of client presents it; undefined when it presents none so. */
  tokenOf(handshake: Handshake): unknown;
  /**
   * Whether the client acknowledges delivered chat messages. One that does not has a message
   * counted as delivered as soon as it is written to its socket.
   */
  readonly acknowledgesDeliveries: boolean;
  /** A delivered chat message's payload as it goes into the frame, from its JSON text. */
  chatPayload(json: string): string;
  /** The OK ack's fields for `event`, from what its handler returned. */
  reply(event: string, result: object, caller: { email: string }): object;
}

/** Bowl's own protocol (docs/asyncapi.yaml): the token in `auth.token`, messages acknowledged. */
export const BOWL_DIALECT: SocketDialect = {
  tokenOf: (handshake) => handshake.auth?.token,
  acknowledgesDeliveries: true,
  chatPayload: (json) => json,
  reply: (_event, result) => result,
};

/**
 * A socket event's payload as the validation pipe should see it: a string holding a JSON object
 * is that object (some clients send every payload as JSON text); anything else is left as it is,
 * for the pipe to accept or refuse.
 */
export function parseJsonPayload(payload: unknown): unknown {
  if (typeof payload !== 'string' || !payload.trimStart().startsWith('{')) return payload;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}
