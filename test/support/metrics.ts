/** The value of a sample line `name{labels} value` in a Prometheus text page (0 when absent). */
export function sample(page: string, line: string): number {
  const found = page.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

/** One counter of a gateway's /metrics page. */
export async function counter(baseUrl: string, token: string, line: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return sample(await res.text(), line);
}
