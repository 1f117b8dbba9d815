/**
 * The one shape of a delivered chat message, from the sender's instance through Redis to the
 * recipient's socket. The payload is JSON-encoded once, where the message is stored (or read back
 * from the queue); after that it only travels as that text: no instance parses and re-encodes the
 * ciphertext again.
 */

export type ChatEvent = 'contactChatMessage' | 'groupChatMessage';

/** A message waiting in one recipient's queue, ready for the socket. */
export interface QueuedDelivery {
  /** Position in the recipient's queue. */
  seq: number;
  event: ChatEvent;
  /** When the message was committed (ms since the epoch), for latency figures. */
  sentAt: number;
  /** The event's payload as JSON text (see encodePayload). */
  json: string;
}

/** The fields of a delivered message, as stored. */
export interface DeliveredMessage {
  id: string;
  /** null for 1:1 messages. */
  groupId: string | null;
  /** JSON text of the client's messageType, relayed as it was stored. */
  messageTypeJson: string;
  message: string;
  date: string;
  time: string;
  /** The sender's email. */
  from: string;
  sentAt: Date;
}

export function eventOf(groupId: string | null): ChatEvent {
  return groupId === null ? 'contactChatMessage' : 'groupChatMessage';
}

/**
 * `{id, messageType, message, date, time, from, sentAt}` (plus `groupId` first for a group
 * message) as JSON text. messageType is spliced in as the JSON it was stored as.
 */
export function encodePayload(m: DeliveredMessage): string {
  const group = m.groupId === null ? '' : `"groupId":${JSON.stringify(m.groupId)},`;
  return (
    `{${group}"id":"${m.id}","messageType":${m.messageTypeJson},` +
    `"message":${JSON.stringify(m.message)},"date":${JSON.stringify(m.date)},` +
    `"time":${JSON.stringify(m.time)},"from":${JSON.stringify(m.from)},` +
    `"sentAt":"${m.sentAt.toISOString()}"}`
  );
}

const EVENTS: readonly ChatEvent[] = ['contactChatMessage', 'groupChatMessage'];

/** A notice on a recipient's Redis channel: `<seq> <event index> <sentAt ms> <payload JSON>`. */
export function encodeNotice(seq: number, d: Omit<QueuedDelivery, 'seq'>): string {
  return `${seq} ${EVENTS.indexOf(d.event)} ${d.sentAt} ${d.json}`;
}

/** The notice's delivery, or null when the text is not a notice (it is then ignored). */
export function decodeNotice(raw: string): QueuedDelivery | null {
  const first = raw.indexOf(' ');
  const third = raw.indexOf(' ', first + 3);
  const seq = Number(raw.slice(0, first));
  const event = EVENTS[Number(raw.slice(first + 1, first + 2))];
  const sentAt = Number(raw.slice(first + 3, third));
  if (first <= 0 || raw[first + 2] !== ' ' || third < 0) return null;
  if (!Number.isSafeInteger(seq) || !event || !Number.isSafeInteger(sentAt)) return null;
  return { seq, event, sentAt, json: raw.slice(third + 1) };
}

/**
 * A notice on the one channel every instance hears (NOTICE_ROUTING=broadcast):
 * `<userId>:<seq>,… <event index> <sentAt ms> <payload JSON>`.
 */
export function encodeBroadcastNotice(
  recipients: [userId: string, seq: number][],
  d: Omit<QueuedDelivery, 'seq'>,
): string {
  return `${recipients.map(([userId, seq]) => `${userId}:${seq}`).join(',')} ${encodeNotice(0, d).slice(2)}`;
}

/** The recipients and the delivery (seq 0: each recipient has their own) of a broadcast notice. */
export function decodeBroadcastNotice(
  raw: string,
): { recipients: [string, number][]; delivery: QueuedDelivery } | null {
  const space = raw.indexOf(' ');
  const delivery = space > 0 ? decodeNotice(`0${raw.slice(space)}`) : null;
  if (!delivery) return null;
  const recipients: [string, number][] = [];
  for (const entry of raw.slice(0, space).split(',')) {
    const colon = entry.lastIndexOf(':');
    const seq = Number(entry.slice(colon + 1));
    if (colon <= 0 || !Number.isSafeInteger(seq)) return null;
    recipients.push([entry.slice(0, colon), seq]);
  }
  return { recipients, delivery };
}
