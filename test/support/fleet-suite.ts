import type { Socket } from 'socket.io-client';
import { connect, registerUser, TestUser, uniqueEmail } from './clients';
import { connectRecording, Fleet, RecordingSocket, startFleet } from './fleet';

export const FLEET_TEST_TIMEOUT = 60_000;
/** How long "nothing more arrives" is watched for. */
export const QUIET_MS = 600;

export const profile = (u: TestUser) => ({ name: u.name, email: u.email, publicKey: u.publicKey });

/** What one spec file needs around its fleet; the fields are usable once beforeAll has run. */
export interface FleetSuite {
  fleet: Fleet;
  /** The gateways' base URLs. */
  urls: string[];
  /**
   * A user registered through the first gateway, with the key pair all such users share (these
   * tests never decrypt; playConversation makes users with keys of their own).
   */
  register(name: string): Promise<TestUser>;
  /** A recording socket of `user` on `url`, closed after the test. */
  openAs(url: string, user: TestUser): Promise<RecordingSocket>;
  /** A plain socket of `user` on `url`, closed after the test. */
  plainAs(url: string, user: TestUser): Promise<Socket>;
  /** GET /health/ready of a gateway: its status code. */
  health(url: string): Promise<number>;
}

/**
 * A fleet of `size` real gateway processes for one spec file (one database, one Redis prefix):
 * started in beforeAll, its sockets closed after each test, stopped in afterAll.
 */
export function useFleet(size: number, env: Record<string, string> = {}): FleetSuite {
  const sockets: { close(): void }[] = [];
  const track = <T extends { close(): void }>(socket: T): T => {
    sockets.push(socket);
    return socket;
  };
  const suite: FleetSuite = {
    fleet: undefined as unknown as Fleet,
    urls: [],
    register: (name) =>
      registerUser(suite.urls[0], { name, email: uniqueEmail(name), sharedKeys: true }),
    openAs: async (url, user) => track(await connectRecording(url, user.token)),
    plainAs: async (url, user) => track(await connect(url, user.token)),
    health: async (url) => (await fetch(`${url}/health/ready`)).status,
  };
  beforeAll(async () => {
    suite.fleet = await startFleet(size, env);
    suite.urls.push(...suite.fleet.gateways.map((g) => g.url));
  }, FLEET_TEST_TIMEOUT);
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await suite.fleet?.stop();
  }, FLEET_TEST_TIMEOUT);
  return suite;
}

export interface OnlineChatsView {
  contacts: string[];
  groups: { groupId: string; persons: string[] }[];
}

/** onlineChats' groups with every list sorted, so that they can be compared with toEqual. */
export const sortedGroups = (groups: OnlineChatsView['groups']) =>
  groups
    .map((g) => ({ groupId: g.groupId, persons: [...g.persons].sort() }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));

/** onlineChats with every list sorted. */
export const sortedChats = (chats: OnlineChatsView): OnlineChatsView => ({
  contacts: [...chats.contacts].sort(),
  groups: sortedGroups(chats.groups),
});

/** The socket's onlineChats (the first event of a connection), sorted. */
export async function onlineChatsOf(socket: RecordingSocket): Promise<OnlineChatsView> {
  return sortedChats((await socket.waitFor('onlineChats')) as unknown as OnlineChatsView);
}
