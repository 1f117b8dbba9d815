/** Asserts both the error class and its exact message. */
export async function expectRefusal(
  attempt: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  message: string,
): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(type);
  await expect(attempt).rejects.toHaveProperty('message', message);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls (every 10 ms) until `condition` holds; fails after `timeoutMs`, naming `what`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}
