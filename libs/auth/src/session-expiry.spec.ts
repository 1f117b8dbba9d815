import { ExpiringSocket, SessionExpiry } from './session-expiry';

/** A socket that records what it was told, and untracks itself on disconnect as the gateway does. */
function fakeSocket(expiry: SessionExpiry, expiresAt: number) {
  const socket = {
    data: { expiresAt },
    told: [] as unknown[],
    disconnected: false,
    emit(event: string, payload: unknown) {
      socket.told.push([event, payload]);
    },
    disconnect() {
      socket.disconnected = true;
      expiry.untrack(socket);
    },
  } satisfies ExpiringSocket & Record<string, unknown>;
  expiry.track(socket);
  return socket;
}

describe('SessionExpiry (buckets by expiry second, one sweep per tick)', () => {
  it('ends each socket once its second has come, telling it why, and only then', () => {
    const expiry = new SessionExpiry();
    const early = fakeSocket(expiry, 100);
    const alsoEarly = fakeSocket(expiry, 100);
    const late = fakeSocket(expiry, 105);
    expiry.expire(99);
    expect([early.disconnected, alsoEarly.disconnected, late.disconnected]).toEqual([
      false,
      false,
      false,
    ]);
    expiry.expire(100); // a token is valid while now < exp
    expect(early.told).toEqual([['sessionEnded', { reason: 'token expired' }]]);
    expect([early.disconnected, alsoEarly.disconnected, late.disconnected]).toEqual([
      true,
      true,
      false,
    ]);
    expect(expiry.size).toBe(1);
    expiry.expire(110); // a late tick still ends what it skipped
    expect(late.disconnected).toBe(true);
    expect(expiry.size).toBe(0);
  });

  it('moves a renewed socket to its new second and forgets a disconnected one', () => {
    const expiry = new SessionExpiry();
    const renewed = fakeSocket(expiry, 100);
    const gone = fakeSocket(expiry, 100);
    expiry.extend(renewed, 200);
    expiry.untrack(gone);
    expiry.expire(150);
    expect(renewed.disconnected).toBe(false);
    expect(gone.told).toEqual([]);
    expiry.expire(200);
    expect(renewed.disconnected).toBe(true);
    expect(renewed.data.expiresAt).toBe(200);
  });

  it('ends a socket whose token expired before it was tracked at the next sweep', () => {
    const expiry = new SessionExpiry();
    const stale = fakeSocket(expiry, 10);
    expiry.expire(50);
    expect(stale.disconnected).toBe(true);
  });
});
