import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { guard, logOnly } from '@app/common';
import { DeliveryTransport, QueuedDelivery } from '@app/delivery';

/** The parts of socket.io 4.8 (pinned) that a pre-encoded emit with an ack needs. */
interface SocketInternals {
  connected: boolean;
  nsp: { _ids: number };
  acks: Map<number, () => unknown>;
  client: { writeToEngine(packet: string, opts: { compress: boolean }): void };
}

/**
 * Chat messages reach sockets as frames written from the payload's JSON text, encoded once where
 * the message was stored: socket.emit() would parse nothing but re-encode the ciphertext for every
 * socket. The frame is what socket.emit() writes for an event with an ack in the default
 * namespace: `2<ack id>["<event>",<payload>]`, and the ack callback is registered the same way.
 */
@Injectable()
export class SocketTransport extends DeliveryTransport {
  write(socket: object, delivery: QueuedDelivery, onAck: () => void): void {
    const s = socket as SocketInternals;
    if (!s.connected) return;
    const id = s.nsp._ids++;
    s.acks.set(id, guard('a delivery ack', onAck, logOnly));
    s.client.writeToEngine(`2${id}["${delivery.event}",${delivery.json}]`, { compress: true });
  }

  tellDropped(socket: object, count: number, onAck: () => void): void {
    (socket as Socket).emit(
      'messagesDropped',
      { count },
      guard('a dropped-count ack', onAck, logOnly),
    );
  }
}
