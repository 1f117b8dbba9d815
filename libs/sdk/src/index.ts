/**
 * Bowl's client SDK for browsers and Node 20: WebCrypto end-to-end encryption (docs/crypto.md),
 * the HTTP auth API and a typed, self-healing socket connection.
 */
export * from './crypto/index.js';
export * from './errors.js';
export { AuthApi } from './auth-api.js';
export type { Profile, RegisterInput, Session } from './auth-api.js';
export { BowlClient, socketIoFactory } from './client.js';
export type { BowlClientOptions, ConnectionStatus, SocketFactory, SocketLike } from './client.js';
export { chatTimestamp } from './chat-timestamp.js';
export type * from '../../protocol/src/index.js';
