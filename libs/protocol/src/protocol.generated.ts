// Generated from docs/asyncapi.yaml by libs/protocol/scripts/generate.mjs.
// Do not edit: change the document and run `npm run generate:protocol`.

/**
 * An e-mail address; the server normalises it (trimmed, NFKC, lower-cased, an internationalised
 * domain in punycode) before comparing or storing it.
 */
export type Email = string;

/** The "12 byte unique group id", as 24 lower-case hex characters. */
export type GroupId = string;

/**
 * The sender's date, `DD/MM/YYYY` or `DD/MM/YY`, day and month also unpadded (`1/9/2023`); must be
 * a real calendar date (no 31/02). Relayed as given.
 */
export type ChatDate = string;

/** The sender's time, `HH:MM` from 00:00 to 23:59. Relayed as given. */
export type ChatTime = string;

/**
 * Any JSON value chosen by the clients (required; at most 1024 bytes once serialised), relayed
 * verbatim.
 */
export type MessageType = unknown;

/**
 * The encrypted message, non-empty and at most `MAX_MESSAGE_BYTES` UTF-8 bytes (default 65536).
 * The server never reads it. Bowl's SDK and web client write the layouts of docs/crypto.md.
 */
export type Ciphertext = string;

/**
 * Optional idempotency key chosen by the sender; a resend with the same one returns the first `id`
 * and stores nothing new.
 */
export type ClientMessageId = string;

/** Server-assigned id of a stored message; recipients dedupe by it. */
export type MessageId = string;

/** When the server accepted the message (ISO-8601, UTC). */
export type SentAt = string;

/**
 * A display name, 1–64 characters after trimming, without control characters (C0, C1) or
 * bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069).
 */
export type DisplayName = string;

export type GroupDescription = string;

/**
 * The group's AES-256 key wrapped (RSA-OAEP) with the public key of the user it is for, in
 * standard base64 (format 0x04 of docs/crypto.md).
 */
export type EncryptedGroupKey = string;

/** Base64 of the user's public key (DER SubjectPublicKeyInfo, RSA of at least 2048 bits). */
export type PublicKey = string;

export interface PublicProfile {
  name: DisplayName;
  email: Email;
  publicKey: PublicKey;
}

export interface GroupMember {
  name: DisplayName;
  email: Email;
  publicKey: PublicKey;
  isAdmin: boolean;
}

export interface EmailPayload {
  email: Email;
}

export interface CreateGroupPayload {
  name: DisplayName;
  description?: GroupDescription;
  encryptedGroupKey: EncryptedGroupKey;
}

export interface GroupIdPayload {
  groupId: GroupId;
}

export interface SendGroupRequestPayload {
  groupId: GroupId;
  encryptedGroupKey: EncryptedGroupKey;
  email: Email;
}

export interface GroupMemberPayload {
  groupId: GroupId;
  email: Email;
}

export interface ContactChatMessageSendPayload {
  date: ChatDate;
  time: ChatTime;
  messageType: MessageType;
  message: Ciphertext;
  to: Email;
  clientMessageId?: ClientMessageId;
}

export interface GroupChatMessageSendPayload {
  groupId: GroupId;
  date: ChatDate;
  time: ChatTime;
  messageType: MessageType;
  message: Ciphertext;
  clientMessageId?: ClientMessageId;
}

export interface RenewTokenPayload {
  /** A fresh access token of the socket's user (`POST /auth/refresh`). */
  token: string;
}

/** The `Error` a Socket.IO client hands to its `connect_error` listener. */
export interface ConnectError {
  /**
   * `unauthorized` when Bowl refused the handshake token, `rate limited` when the user or the
   * client's address opens connections too fast, `too many connections` when the user has
   * `MAX_SOCKETS_PER_USER` sockets open already, `server shutting down` when the instance is
   * draining for a shutdown (connect again); transport failures of the client library (e.g. `xhr
   * poll error`, `websocket error`) carry other messages.
   */
  message: string;
  /** With `rate limited` only. */
  data?: {
    code?: 'rate_limited';
    retryAfterMs?: RetryAfterMs;
  };
}

/** Milliseconds until the same request would be allowed. */
export type RetryAfterMs = number;

export interface SessionEndedPayload {
  reason:
    | 'token expired'
    | 'logged out'
    | 'password changed'
    | 'server shutting down'
    | 'too many connections';
}

export interface OnlineChats {
  /** Emails of the user's contacts who are online now. */
  contacts: Email[];
  /** One entry for every group the user belongs to. */
  groups: Array<{
    groupId: GroupId;
    /** Emails of the other members of that group who are online now. */
    persons: Email[];
  }>;
}

export interface ContactChatMessageDeliveredPayload {
  id: MessageId;
  messageType: MessageType;
  message: Ciphertext;
  date: ChatDate;
  time: ChatTime;
  from: Email;
  sentAt: SentAt;
}

export interface GroupChatMessageDeliveredPayload {
  id: MessageId;
  groupId: GroupId;
  messageType: MessageType;
  message: Ciphertext;
  date: ChatDate;
  time: ChatTime;
  from: Email;
  sentAt: SentAt;
}

export interface EmailNotice {
  email: Email;
}

export interface GroupInvitation {
  name: DisplayName;
  description: GroupDescription;
  groupId: GroupId;
  encryptedGroupKey: EncryptedGroupKey;
}

export interface NewGroupMemberPayload {
  groupId: GroupId;
  name: DisplayName;
  email: Email;
  publicKey: PublicKey;
}

export interface GroupMemberLeftPayload {
  groupId: GroupId;
  email: Email;
  /** true when an admin removed the member, false when they left. */
  removed: boolean;
}

export interface GroupMemberPromotedPayload {
  groupId: GroupId;
  email: Email;
}

export interface OkAck {
  status: 'OK';
}

export interface ContactDataAck {
  status: 'OK';
  contactData: PublicProfile;
}

export interface CreateGroupAck {
  status: 'OK';
  groupId: GroupId;
}

export interface AcceptGroupRequestAck {
  status: 'OK';
  /**
   * Every member of the group, the caller included (a Bowl Desktop socket gets them without the
   * caller).
   */
  members: GroupMember[];
}

export interface SendReceiptAck {
  status: 'OK';
  id: MessageId;
  sentAt: SentAt;
}

export interface ErrorAck {
  status: 'ERROR';
  /**
   * Why the request was refused: a validation error naming the field, one of the operation's
   * `x-errors`, or `internal error`.
   */
  error: string;
  /**
   * Stable, machine-readable name of the refusal, for clients to branch on (the `error` text is
   * for people): `validation` for a payload that breaks the event's schema, `internal` for an
   * unexpected failure, `unknown_event`, `server_shutting_down` (the instance is draining; nothing
   * was done, send it again once reconnected), or the refusal's own code listed with its text in
   * the operation's `x-errors` (`not_a_contact`, `not_group_admin`, `group_full`, …).
   */
  code: string;
  /** Only with `internal error`; the same ref is in the server log. */
  ref?: string;
  /** Only with `rate limited` (code `rate_limited`). */
  retryAfterMs?: RetryAfterMs;
}

export interface RenewTokenAck {
  status: 'OK';
  /** Seconds until the socket's session (the new token) expires. */
  expiresIn: number;
}

/** Anything (or nothing); calling the callback is what counts. */
export type DeliveryAck = unknown;

/** Client → server events: what the client emits, and the acknowledgement it gets back. */
export interface ClientEvents {
  /** Ask a user, by email, to become a contact. */
  sendContactRequest: { payload: EmailPayload; ack: ContactDataAck | ErrorAck };
  /** Accept a pending contact request; the requester gets `contactRequestAccepted`. */
  acceptContactRequest: { payload: EmailPayload; ack: ContactDataAck | ErrorAck };
  /** Decline a pending contact request (the requester is not told). */
  declineContactRequest: { payload: EmailPayload; ack: OkAck | ErrorAck };
  /** End a contact relation; the other side gets `contactRemoved`. */
  removeContact: { payload: EmailPayload; ack: OkAck | ErrorAck };
  /** Send a message, encrypted with the contact's public key, to one contact. */
  contactChatMessage: { payload: ContactChatMessageSendPayload; ack: SendReceiptAck | ErrorAck };
  /** Create a group; the caller becomes its first member and an admin. */
  createGroup: { payload: CreateGroupPayload; ack: CreateGroupAck | ErrorAck };
  /** An admin invites one of their contacts, with the group key wrapped for them. */
  sendGroupRequest: { payload: SendGroupRequestPayload; ack: OkAck | ErrorAck };
  /** Join a group one was invited to; the other members get `newGroupMember`. */
  acceptGroupRequest: { payload: GroupIdPayload; ack: AcceptGroupRequestAck | ErrorAck };
  /** Decline a group invitation (nobody is told). */
  declineGroupRequest: { payload: GroupIdPayload; ack: OkAck | ErrorAck };
  /** An admin withdraws a pending invitation; the invitee gets `groupRequestCancelled`. */
  cancelGroupRequest: { payload: GroupMemberPayload; ack: OkAck | ErrorAck };
  /** Leave a group; every member (the leaver included) gets `groupMemberLeft`. */
  leaveGroup: { payload: GroupIdPayload; ack: OkAck | ErrorAck };
  /** An admin removes a member; every member (the removed one included) gets `groupMemberLeft`. */
  removeGroupMember: { payload: GroupMemberPayload; ack: OkAck | ErrorAck };
  /** An admin makes a member admin too; every member gets `groupMemberPromoted`. */
  promoteGroupMember: { payload: GroupMemberPayload; ack: OkAck | ErrorAck };
  /** Send a message, encrypted with the group key, to the other members of a group. */
  groupChatMessage: { payload: GroupChatMessageSendPayload; ack: SendReceiptAck | ErrorAck };
  /** Extend the socket's session to a fresh access token of the same user. */
  renewToken: { payload: RenewTokenPayload; ack: RenewTokenAck | ErrorAck };
}

/** Server → client events and their payloads. */
export interface ServerEvents {
  /** Who among the user's contacts and group co-members is online; first event after connect. */
  onlineChats: OnlineChats;
  /** A message from a contact, to every connected socket of the recipient. */
  contactChatMessage: ContactChatMessageDeliveredPayload;
  /** A message from a group co-member, to every connected socket of the recipient. */
  groupChatMessage: GroupChatMessageDeliveredPayload;
  /** A contact or group co-member came online (their first socket in the fleet connected). */
  online: EmailNotice;
  /** A contact or group co-member went offline (last socket gone, or its instance died). */
  offline: EmailNotice;
  /** Someone asks the user to become a contact; re-sent on each connect until answered. */
  contactRequestReceived: PublicProfile;
  /** A contact request the user sent was accepted. */
  contactRequestAccepted: PublicProfile;
  /** A contact removed the user from their contacts. */
  contactRemoved: EmailNotice;
  /** Group messages were not queued for the user while their queue was full. */
  messagesDropped: {
    count: number;
  };
  /** An invitation to a group; re-sent on each connect until answered. */
  groupRequestReceived: GroupInvitation;
  /** Someone accepted an invitation to a group the user is in. */
  newGroupMember: NewGroupMemberPayload;
  /** A member left or was removed (also sent to that member). */
  groupMemberLeft: GroupMemberLeftPayload;
  /** A member became admin. */
  groupMemberPromoted: GroupMemberPromotedPayload;
  /** A pending invitation of the user is gone (cancelled by an admin, or the group died). */
  groupRequestCancelled: GroupIdPayload;
  /** An event emitted without an acknowledgement callback failed. */
  exception: ErrorAck;
  /** The server is about to disconnect this socket on purpose, and says why. */
  sessionEnded: SessionEndedPayload;
}

/** Server → client events that the client acknowledges once it holds them. */
export type AcknowledgedServerEvent = 'contactChatMessage' | 'groupChatMessage' | 'messagesDropped';
