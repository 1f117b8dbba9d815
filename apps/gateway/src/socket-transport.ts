import { Injectable } from '@nestjs/common';
import type { AuthedSocket } from '@app/auth';
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
 * The socket's dialect shapes the payload; a client that never acknowledges gets the frame
 * without an ack id, and the message counts as delivered once written.
 */
@Injectable()
export class SocketTransport extends DeliveryTransport {
  write(socket: object, delivery: QueuedDelivery, onAck: () => void): void {
    const s = socket as SocketInternals;
    if (!s.connected) return;
    const { dialect } = (socket as AuthedSocket).data;
    const frame = `["${delivery.event}",${dialect.chatPayload(delivery.json)}]`;
    if (!dialect.acknowledgesDeliveries) {
      s.client.writeToEngine(`2${frame}`, { compress: true });
      onAck();
      return;
    }
    const id = s.nsp._ids++;
    s.acks.set(id, guard('a delivery ack', onAck, logOnly));
    s.client.writeToEngine(`2${id}${frame}`, { compress: true });
  }

  tellDropped(socket: object, count: number, onAck: () => void): void {
    const s = socket as AuthedSocket;
    if (!s.data.dialect.acknowledgesDeliveries) {
      s.emit('messagesDropped', { count });
      onAck();
      return;
    }
    s.emit('messagesDropped', { count }, guard('a dropped-count ack', onAck, logOnly));
  }
}
