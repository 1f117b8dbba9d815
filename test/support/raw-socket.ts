import WebSocket from 'ws';

/**
 * A socket.io connection spoken by hand over Engine.IO v4's websocket transport, so a test can
 * send frames no well-behaved client would (`421[1,{}]`, broken JSON, unknown packet types).
 * Text frames are `<engine type><socket.io type>[id][json]`: "4" message, "2" event, "3" ack.
 */
export interface RawSocket {
  /** Every text frame received, in order. */
  frames: string[];
  /** Sends a text or binary frame; does nothing once the connection is closed. */
  send(frame: string | Buffer): void;
  /** Whether the server still holds the connection open. */
  isOpen(): boolean;
  /** Resolves with the first received frame (past or future) matching `predicate`. */
  waitFor(predicate: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves once the server has closed the connection. */
  closed: Promise<void>;
  close(): void;
}

export function connectRaw(baseUrl: string, token: string): Promise<RawSocket> {
  const ws = new WebSocket(
    `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
  );
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.on('error', () => undefined); // a refused or reset connection shows as `closed`
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const frame = data.toString();
    if (frame === '2') ws.send('3'); // Engine.IO ping → pong
    if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
    frames.push(frame);
    for (const wake of [...waiters]) wake();
  });
  const raw: RawSocket = {
    frames,
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    isOpen: () => ws.readyState === WebSocket.OPEN,
    waitFor: (predicate, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = frames.find(predicate);
          if (hit === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching frame within ${timeoutMs} ms; got ${frames.join(' | ')}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      }),
    closed,
    close: () => ws.close(),
  };
  return raw
    .waitFor((f) => f.startsWith('40') || f.startsWith('44'))
    .then((frame) => {
      if (!frame.startsWith('40')) throw new Error(`refused: ${frame}`);
      return raw;
    });
}
