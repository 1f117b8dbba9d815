import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { importPublicKey } from '@app/sdk';
import { createTestDatabase, TestDatabase } from '../support/database';
import { GatewayProcess, startGateway } from '../support/gateway-process';
import { waitUntil } from '../support/expect';
import { SdkPeople } from '../support/sdk-people';
import { TEST_JWT_SECRET } from '../support/test-app';

/**
 * The web client (dist/web, served by the built gateway at `/`) in headless Chromium: two people
 * register, become contacts, exchange an encrypted message, one goes offline and finds what was
 * sent meanwhile when they come back, then they make a group and talk in it; an invitation is
 * withdrawn, and a message to someone who removed you is refused, clearly. Access tokens live
 * seconds, so the pages must renew them to keep their sockets. A real gateway process on a fresh
 * PostgreSQL database. Every step leaves a screenshot in test/browser/screenshots.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags this machine's Chromium needs (shared/notes/tooling.md §5). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCREENSHOTS = join(__dirname, 'screenshots');
const PASSWORD = 'correct horse battery';
const STEP_MS = 15_000;
/** Short, so that every page renews its socket's token several times during the test. */
const TOKEN_SECONDS = 6;

interface Person {
  name: string;
  email: string;
  context: BrowserContext;
  page: Page;
  /** Every socket.io frame the page sent, as text. */
  sent: string[];
  /** WebSockets the person's pages opened. */
  websockets: number;
}

describe('web client in Chromium', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;
  let browser: Browser;
  let url: string;
  let alice: Person;
  let bob: Person;
  let shot = 0;
  /** People using the SDK from the test, beside the browsers. */
  const people = new SdkPeople(() => gateway.url);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    }
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase();
    gateway = await startGateway({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_TTL: String(TOKEN_SECONDS),
    });
    // localhost, not 127.0.0.1: a secure context, where browsers offer WebCrypto.
    url = `http://localhost:${gateway.port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
    // A fresh database and fresh browser contexts: plain addresses cannot clash.
    [alice, bob] = await Promise.all([
      person('Alice', 'alice@example.com'),
      person('Bob', 'bob@example.com'),
    ]);
  }, 60_000);

  afterAll(async () => {
    people.closeAll();
    await browser?.close();
    await gateway?.stop();
    await db?.drop();
  });

  async function person(name: string, email: string): Promise<Person> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const who: Person = {
      name,
      email,
      context,
      page: undefined as unknown as Page,
      sent: [],
      websockets: 0,
    };
    who.page = await open(who);
    return who;
  }

  /** A new tab of the person's browser (same IndexedDB), recording the socket frames it sends. */
  async function open(who: Person): Promise<Page> {
    const page = await who.context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('websocket', (ws) => {
      who.websockets++;
      ws.on('framesent', ({ payload }) => who.sent.push(String(payload)));
    });
    await page.goto(url);
    return page;
  }

  async function screenshot(who: Person, step: string) {
    const file = `${String(++shot).padStart(2, '0')}-${step}-${who.name.toLowerCase()}.png`;
    await who.page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
  }

  const online = (page: Page) => page.locator('.status.online').waitFor();
  const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Contacts and groups' });
  const conversation = (page: Page) => page.getByRole('log');

  async function logIn(who: Person) {
    who.page = await open(who);
    await who.page.getByLabel('Email').fill(who.email);
    await who.page.getByLabel('Password').fill(PASSWORD);
    await who.page.getByRole('button', { name: 'Log in' }).click();
    await online(who.page);
  }

  async function send(page: Page, text: string) {
    await page.getByLabel('Message').fill(text);
    await page.getByLabel('Message').press('Enter');
    await conversation(page).getByText(text).waitFor();
    await page.getByText('sending…').waitFor({ state: 'detached' });
  }

  it('registers two people, with keys made in the browser', async () => {
    for (const who of [alice, bob]) {
      await who.page.getByRole('button', { name: 'New here? Create an account' }).click();
      await who.page.getByLabel('Name').fill(who.name);
      await who.page.getByLabel('Email').fill(who.email);
      await who.page.getByLabel('Password').fill(PASSWORD);
      await who.page.getByRole('button', { name: 'Create account' }).click();
      await online(who.page);
      await expect(who.page.getByText(`${who.name} · ${who.email}`).isVisible()).resolves.toBe(
        true,
      );
      await screenshot(who, 'registered');
    }
  });

  it('shows a refusal clearly, then makes them contacts, with online dots', async () => {
    await alice.page.getByLabel('Add a contact by email').fill('nobody@example.com');
    await alice.page.getByRole('button', { name: 'Send request' }).click();
    await alice.page.getByRole('alert').getByText('no user with that email').waitFor();
    await screenshot(alice, 'refused');

    await alice.page.getByLabel('Add a contact by email').fill(bob.email);
    await alice.page.getByRole('button', { name: 'Send request' }).click();
    await alice.page.getByText(`Contact request sent to ${bob.email}.`).waitFor();
    await bob.page.getByText(`Alice (${alice.email}) wants to be your contact`).waitFor();
    await screenshot(bob, 'request');
    await bob.page.getByRole('button', { name: `Accept ${alice.email}` }).click();
    await sidebar(bob.page).getByRole('button', { name: 'Alice (online)' }).waitFor();
    await sidebar(alice.page).getByRole('button', { name: 'Bob (online)' }).waitFor();
    await screenshot(alice, 'contacts');
  });

  it('exchanges a message that only the browsers can read', async () => {
    await sidebar(alice.page).getByRole('button', { name: 'Bob (online)' }).click();
    await send(alice.page, 'Hello Bob, this is encrypted');
    await sidebar(bob.page)
      .getByRole('button', { name: /^Alice \(online\)\s*new$/ })
      .click();
    const message = conversation(bob.page).getByRole('listitem').last();
    await message.getByText('Hello Bob, this is encrypted').waitFor();
    expect(await message.locator('.from').textContent()).toBe('Alice');
    expect(await message.locator('time').textContent()).toMatch(/\d{1,2}:\d{2}/);
    await screenshot(bob, 'message');

    // On the wire: a socket.io frame with a base64 RSA-OAEP ciphertext (format 0x01), no text.
    const frame = alice.sent.find((f) => f.includes('"contactChatMessage"'));
    expect(frame).toBeDefined();
    expect(frame).not.toContain('Hello Bob');
    const [, payload] = JSON.parse(frame!.replace(/^\d+/, '')) as [string, { message: string }];
    const bytes = Buffer.from(payload.message, 'base64');
    expect([bytes[0], bytes.length]).toEqual([0x01, 257]);
  });

  it('delivers what was sent while one was offline when they come back', async () => {
    await bob.page.close(); // Bob's browser keeps his keys and history in IndexedDB
    await sidebar(alice.page).getByRole('button', { name: 'Bob (offline)' }).waitFor();
    await send(alice.page, 'Are you there?');
    await send(alice.page, 'Sent while you were away');
    await screenshot(alice, 'sent-while-offline');

    await logIn(bob);
    await sidebar(bob.page)
      .getByRole('button', { name: /^Alice \(online\)/ })
      .click();
    const texts = conversation(bob.page).locator('.text');
    await texts.filter({ hasText: 'Sent while you were away' }).waitFor();
    expect(await texts.allTextContents()).toEqual([
      'Hello Bob, this is encrypted',
      'Are you there?',
      'Sent while you were away',
    ]);
    await screenshot(bob, 'back-online');
  });

  it('creates a group, invites, accepts, and talks in it', async () => {
    await alice.page.getByLabel('New group name').fill('Soup club');
    await alice.page.getByRole('button', { name: 'Create group' }).click();
    await alice.page.getByRole('heading', { name: 'Soup club' }).waitFor();
    await alice.page.getByLabel('Invite a contact').selectOption(bob.email);
    await alice.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await alice.page.getByText(`Invitation sent to ${bob.email}.`).waitFor();

    await bob.page.getByText('Invitation to Soup club').waitFor();
    await screenshot(bob, 'invitation');
    await bob.page.getByRole('button', { name: 'Join Soup club' }).click();
    await sidebar(bob.page)
      .getByRole('button', { name: /^Soup club/ })
      .click();
    await bob.page.getByText('Members: ').getByText('Alice, admin').waitFor();
    await send(bob.page, 'Hi everyone, I brought miso');

    await alice.page.getByText('Members: ').getByText('Bob').waitFor();
    const fromBob = conversation(alice.page).getByRole('listitem').last();
    await fromBob.getByText('Hi everyone, I brought miso').waitFor();
    expect(await fromBob.locator('.from').textContent()).toBe('Bob');
    await send(alice.page, 'Welcome to the club!');
    await conversation(bob.page).getByText('Welcome to the club!').waitFor();
    await screenshot(bob, 'group');
    await screenshot(alice, 'group');

    // Group frames carry AES-GCM ciphertext (format 0x03), never the text.
    const frame = bob.sent.find((f) => f.includes('"groupChatMessage"'));
    expect(frame).not.toContain('miso');
    const [, payload] = JSON.parse(frame!.replace(/^\d+/, '')) as [string, { message: string }];
    expect(Buffer.from(payload.message, 'base64')[0]).toBe(0x03);
  });

  it('fits a phone screen: the lists stack above the conversation', async () => {
    await alice.page.setViewportSize({ width: 390, height: 844 });
    const lists = await sidebar(alice.page).boundingBox();
    const chat = await alice.page.getByRole('region', { name: 'Soup club' }).boundingBox();
    expect(lists!.width).toBeLessThanOrEqual(390);
    expect(chat!.y).toBeGreaterThanOrEqual(lists!.y + lists!.height);
    await screenshot(alice, 'phone');
  });

  it('drops an invitation that its group admin withdrew, and says so', async () => {
    const carol = await people.register('Carol');
    await carol.client.connect();
    const { contactData } = await carol.client.request('sendContactRequest', { email: bob.email });
    await bob.page.getByRole('button', { name: `Accept ${carol.email}` }).click();
    await sidebar(bob.page).getByRole('button', { name: 'Carol (online)' }).waitFor();
    const { groupId } = await people.groupInviting(carol, 'Tea club', {
      email: bob.email,
      key: await importPublicKey(contactData.publicKey),
    });
    await bob.page.getByText('Invitation to Tea club').waitFor();

    await carol.client.request('cancelGroupRequest', { groupId, email: bob.email });
    await bob.page
      .getByRole('status')
      .getByText('The invitation to Tea club was withdrawn.')
      .waitFor();
    await bob.page
      .getByText('Invitation to Tea club', { exact: true })
      .waitFor({ state: 'detached' });
    await screenshot(bob, 'invitation-withdrawn');
  });

  it('refuses a message to a contact who removed you while you were away, clearly', async () => {
    await alice.page.setViewportSize({ width: 1100, height: 720 });
    await bob.page.close();
    await sidebar(alice.page).getByRole('button', { name: 'Bob (offline)' }).click();
    await alice.page.getByRole('button', { name: 'Remove Bob from your contacts' }).click();
    await alice.page.getByText('Bob is no longer your contact.').waitFor();
    await sidebar(alice.page).getByRole('button', { name: /^Bob/ }).waitFor({ state: 'detached' });
    await screenshot(alice, 'removed');

    // Bob was away: his browser still lists Alice, until the server refuses his message.
    await logIn(bob);
    await sidebar(bob.page)
      .getByRole('button', { name: /^Alice \(/ })
      .click();
    await bob.page.getByLabel('Message').fill('Are we still friends?');
    await bob.page.getByLabel('Message').press('Enter');
    await bob.page.getByRole('alert').getByText('Not sent: recipient is not a contact').waitFor();
    const message = conversation(bob.page).getByRole('listitem').last();
    expect([
      await message.locator('.text').textContent(),
      await message.locator('.state').textContent(),
    ]).toEqual(['Are we still friends?', 'not sent']);
    await sidebar(bob.page)
      .getByRole('button', { name: /^Alice/ })
      .waitFor({ state: 'detached' });
    await screenshot(bob, 'refused-removed');
  });

  it('keeps one socket for the whole visit, renewing its token before each expiry', async () => {
    // Alice's first page is still open. Three renewals (one per half-life) take it well past the
    // expiry of the token its socket was opened with.
    const renewals = () => alice.sent.filter((frame) => frame.includes('"renewToken"')).length;
    await waitUntil(() => renewals() >= 3, 'three renewals', 3 * TOKEN_SECONDS * 1000);
    await online(alice.page);
    expect(alice.websockets).toBe(1);
  });
});
