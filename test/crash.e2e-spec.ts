import { emitAck, registerUser } from './support/clients';
import { chatMessage, makeContacts } from './support/chat';
import { sleep, waitUntil } from './support/expect';
import { connectRecording, Fleet, startFleet } from './support/fleet';
import { GatewayProcess } from './support/gateway-process';
import { lostMessages, ringLoad, ringOfClients, tally } from './support/load';

describe('an instance killed with SIGKILL', () => {
  let fleet: Fleet;
  afterAll(() => fleet?.stop());

  it('takes its users offline within 20 s; they come back on the survivor and get what was queued', async () => {
    fleet = await startFleet(2);
    const [survivor, victim] = fleet.gateways;
    const alice = await registerUser(survivor.url, { name: 'Alice', sharedKeys: true });
    const bob = await registerUser(survivor.url, { name: 'Bob', sharedKeys: true });
    const aliceSocket = await connectRecording(survivor.url, alice.token);
    const bobSocket = await connectRecording(victim.url, bob.token);
    await makeContacts(aliceSocket.socket, bobSocket.socket, alice.email, bob.email);

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await aliceSocket.waitFor('offline', (p) => p.email === bob.email, 25_000);
    const detectedAfterMs = Date.now() - killedAt;
    console.log(`offline noticed ${detectedAfterMs} ms after SIGKILL`);
    expect(detectedAfterMs).toBeLessThan(20_000);

    const queued: string[] = [];
    for (let i = 0; i < 5; i++) {
      queued.push(
        (
          await emitAck(
            aliceSocket.socket,
            'contactChatMessage',
            chatMessage(bob.email, `while-away-${i}`),
          )
        ).id as string,
      );
    }
    const onlineBefore = aliceSocket.all('online').length;
    const bobBack = await connectRecording(survivor.url, bob.token);
    await aliceSocket.waitFor(
      'online',
      (p) => p.email === bob.email && aliceSocket.all('online').length > onlineBefore,
    );
    await waitUntil(() => bobBack.all('contactChatMessage').length === 5, 'the 5 queued messages');
    expect(bobBack.all('contactChatMessage').map((m) => m.id)).toEqual(queued);
    expect(bobBack.all('onlineChats')[0]).toEqual({ contacts: [alice.email], groups: [] });
    bobBack.close();
    aliceSocket.close();
  }, 90_000);
});

describe('a crash under load', () => {
  const USERS = 50;
  const LOAD_MS = 8_000;
  let fleet: Fleet;
  afterAll(() => fleet?.stop());

  it('loses nothing that was acknowledged, and keeps each conversation in order', async () => {
    fleet = await startFleet(3);
    const live = new Set<GatewayProcess>(fleet.gateways);
    const clients = await ringOfClients(
      USERS,
      fleet.gateways.map((g) => g.url),
      () => [...live].map((g) => g.url),
    );

    const load = ringLoad(clients);
    await sleep(LOAD_MS / 2);
    const victim = fleet.gateways[1];
    victim.child.kill('SIGKILL');
    live.delete(victim);
    await victim.exited;
    live.add(await fleet.add()); // the orchestrator restarts it
    await sleep(LOAD_MS / 2);
    load.stop();
    await load.done;

    const acknowledged = load.sends.filter((s) => s.outcome === 'OK');
    await waitUntil(
      () => lostMessages(clients, load.sends).length === 0,
      'every acknowledged message to arrive',
      60_000,
    ).catch(() => undefined);
    const lost = lostMessages(clients, load.sends);
    const outOfOrder = clients.filter((client) => {
      const fromPrevious = [...client.received.values()].map((m) => m.n);
      return fromPrevious.some((n, k) => k > 0 && n <= fromPrevious[k - 1]);
    }).length;
    const duplicates = clients.reduce((sum, c) => sum + c.deliveries - c.received.size, 0);
    console.log(
      `crash under load: ${tally(load.sends)} / received ${acknowledged.length - lost.length} / ` +
        `lost ${lost.length} (redelivered duplicates deduped by id: ${duplicates}, conversations out of order: ${outOfOrder})`,
    );
    for (const c of clients) c.close();

    expect(acknowledged.length).toBeGreaterThan(USERS * 5);
    expect(lost).toEqual([]);
    expect(outOfOrder).toBe(0);
  }, 150_000);
});
