import type { QueuedDelivery } from '../wire';

/**
 * How a pump reaches one socket; the gateway provides the socket.io implementation, which keeps
 * sockets out of this library. Sockets are opaque here.
 */
export abstract class DeliveryTransport {
  /** Writes a chat message; `onAck` runs when (and only if) the client acknowledges it. */
  abstract write(socket: object, delivery: QueuedDelivery, onAck: () => void): void;
  /** Tells a socket that `count` group messages were not queued for it (its queue was full). */
  abstract tellDropped(socket: object, count: number, onAck: () => void): void;
}
