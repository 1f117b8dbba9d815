import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './gateway-process';
import { waitUntil } from './expect';

const run = promisify(execFile);

/** A Redis Cluster of the test's own: three masters, no replicas, nothing kept on disk. */
export interface PrivateRedisCluster {
  /** host:port of every node, comma-separated: what REDIS_CLUSTER_NODES takes. */
  nodes: string;
  stop(): Promise<void>;
}

export async function startPrivateRedisCluster(size = 3): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bowl-redis-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < size; i++) ports.push(await freePort());
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cli = (port: number, ...args: string[]) =>
      run('redis-cli', ['-p', String(port), ...args]).then((r) => r.stdout);
    await waitUntil(
      async () =>
        (await Promise.all(ports.map((p) => cli(p, 'ping').catch(() => '')))).every(
          (r) => r.trim() === 'PONG',
        ),
      'the cluster nodes answer',
    );
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitUntil(
      async () =>
        (await Promise.all(ports.map((p) => cli(p, 'cluster', 'info')))).every((info) =>
          info.includes('cluster_state:ok'),
        ),
      'every node sees the cluster ok',
    );
    return { nodes: addresses.join(','), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
