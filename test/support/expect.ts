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
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** An OK ack (whatever else it carries). */
export function expectOk(ack: { status: string }): void {
  expect(ack).toMatchObject({ status: 'OK' });
}

/**
 * A refusal: exactly `{status, error, code}`, the error matching `error` and, when given, the
 * code equal to `code`. (toEqual: an internal error also carries a `ref` and must not pass.)
 */
export function expectError(ack: unknown, error: RegExp, code?: string): void {
  expect(ack).toEqual({
    status: 'ERROR',
    error: expect.stringMatching(error),
    code: code ?? expect.any(String),
  });
}
