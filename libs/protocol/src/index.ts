/**
 * Bowl's socket protocol as TypeScript types, generated from docs/asyncapi.yaml (the one source of
 * truth). Types only: importing this library adds no code to a bundle.
 */
import type { ClientEvents, ErrorAck, ServerEvents } from './protocol.generated.js';

export type * from './protocol.generated.js';

export type ClientEvent = keyof ClientEvents;
export type ServerEvent = keyof ServerEvents;
export type ClientPayload<E extends ClientEvent> = ClientEvents[E]['payload'];
export type ClientAck<E extends ClientEvent> = ClientEvents[E]['ack'];
/** The `{status: "OK", …}` answer of a client → server event. */
export type OkAckOf<E extends ClientEvent> = Exclude<ClientAck<E>, ErrorAck>;
