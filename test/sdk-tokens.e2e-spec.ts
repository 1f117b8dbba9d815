import { decryptMessage, SessionEndedError } from '@app/sdk';
import { sleep, waitUntil } from './support/expect';
import { nextStatus, sdkGateway, send, text } from './support/sdk-people';

/**
 * The SDK's token handling against a gateway process whose access tokens live 4 seconds: the
 * client refreshes them over HTTP before they expire and hands each new one to its open socket
 * (renewToken), so the socket outlives them; without a refresh token the server ends the socket
 * with sessionEnded "token expired" and the client says the session is over.
 */

/**
 * The client refreshes at half-life; a token's `exp` is in whole seconds, so it may live up to a
 * second less than `expiresIn` says: 4 s leaves the renewal a second of margin on a busy machine.
 */
const TOKEN_SECONDS = 4;

describe('SDK tokens against a gateway with short-lived access tokens', () => {
  const { people } = sdkGateway({ JWT_TTL: String(TOKEN_SECONDS) });

  it('refreshes before expiry and renews the socket, which outlives the first token', async () => {
    const refreshes: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      if (String(input).endsWith('/auth/refresh')) refreshes.push(String(init?.body));
      return fetch(input, init);
    };
    const { alice, bob, aliceKey, bobKey } = await people.contacts(undefined, undefined, {
      fetch: recordingFetch,
    });
    const statuses: string[] = [];
    alice.client.onStatus((s) => statuses.push(s.state));
    const ended: unknown[] = [];
    alice.sockets[0].on('sessionEnded', (payload: unknown) => ended.push(payload));
    const received: string[] = [];
    alice.client.on('contactChatMessage', async (m) => {
      received.push(text(await decryptMessage(alice.keys.privateKey, m.message)));
    });

    // Well past the expiry of the token the socket was opened with.
    await sleep(TOKEN_SECONDS * 1000 + 1500);
    await send(bob, alice.email, aliceKey, 'still here');
    await waitUntil(() => received.length === 1, 'the message on the renewed socket');
    const reply = await send(alice, bob.email, bobKey, 'me too');

    expect([received, reply.status]).toEqual([['still here'], 'OK']);
    // One socket all along, never ended, never offline; each refresh used a new refresh token.
    expect([alice.sockets.length, alice.sockets[0].connected, statuses, ended]).toEqual([
      1,
      true,
      [],
      [],
    ]);
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(refreshes).size).toBe(refreshes.length);
  });

  it('ends the session with "token expired" when the token cannot be renewed', async () => {
    const alice = await people.register('alice');
    // A session without its refresh token: nothing to renew the access token with.
    alice.client.useSession({ accessToken: alice.token, expiresAt: alice.session.expiresAt });
    await alice.client.connect();
    await nextStatus(alice.client, 'ended');
    await expect(alice.client.connect()).rejects.toEqual(new SessionEndedError('token expired'));
    expect([alice.sockets.length, alice.sockets[0].connected]).toEqual([1, false]);
  });
});
