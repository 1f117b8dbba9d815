import { connect, connectError, registerUser } from './support/clients';
import { makeContacts, makeGroup } from './support/chat';
import { connectRecording, Fleet, startFleet } from './support/fleet';

describe('presence of new contacts and new group members (two gateways)', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('shows each side online as soon as they become contacts or group co-members', async () => {
    const [a, b] = fleet.gateways.map((g) => g.url);
    const [alice, bob, carol] = await Promise.all(
      ['Alice', 'Bob', 'Carol'].map((name) => registerUser(a, { name, sharedKeys: true })),
    );
    const aliceSocket = await connectRecording(a, alice.token);
    const bobSocket = await connectRecording(b, bob.token);
    const carolSocket = await connectRecording(b, carol.token);
    expect(aliceSocket.all('online')).toEqual([]); // strangers see nothing

    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);
    await aliceSocket.waitFor('online', (p) => p.email === bob.email);
    await bobSocket.waitFor('online', (p) => p.email === alice.email);

    // Carol is Alice's contact, not Bob's; once she joins Alice's group with Bob they see each other.
    await makeContacts(aliceSocket.socket, carolSocket.socket, alice.email, carol.email);
    const groupId = await makeGroup(
      aliceSocket.socket,
      [
        { email: bob.email, socket: bobSocket.socket },
        { email: carol.email, socket: carolSocket.socket },
      ],
      'Trio',
    );
    await carolSocket.waitFor('online', (p) => p.email === bob.email);
    await bobSocket.waitFor('online', (p) => p.email === carol.email);

    // A fresh connection's onlineChats reflects the fleet-wide view.
    const carolTab = await connectRecording(a, carol.token);
    const chats = await carolTab.waitFor('onlineChats');
    expect(chats).toEqual({
      contacts: [alice.email],
      groups: [{ groupId, persons: expect.any(Array) }],
    });
    expect([...(chats.groups as { persons: string[] }[])[0].persons].sort()).toEqual(
      [alice.email, bob.email].sort(),
    );
    for (const s of [aliceSocket, bobSocket, carolSocket, carolTab]) s.close();
  }, 60_000);
});

describe('MAX_SOCKETS_PER_USER across a fleet', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { MAX_SOCKETS_PER_USER: '2' });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('refuses a third socket of one user on any instance, and admits one again after a close', async () => {
    const [a, b] = fleet.gateways.map((g) => g.url);
    const alice = await registerUser(a, { name: 'Alice', sharedKeys: true });
    const first = await connect(a, alice.token);
    const second = await connect(b, alice.token);
    expect(await connectError(a, alice.token)).toBe('too many connections');
    expect(await connectError(b, alice.token)).toBe('too many connections');
    expect(first.connected && second.connected).toBe(true);

    first.close();
    let again = 'too many connections';
    for (let i = 0; i < 50 && again !== 'connected'; i++) {
      again = await connectError(b, alice.token); // connects, then closes at once
      if (again !== 'connected') await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).toBe('connected');
    second.close();
  }, 60_000);
});
