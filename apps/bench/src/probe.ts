import { availableParallelism } from 'node:os';
import type { ServerProcess } from './server';
import type { BenchDatabase } from './infra';
import { machineBusyMs, processCpuMs } from './proc';
import { now } from './stats';

/** What the processes used during one measured phase; CPU in % of one core. */
export interface Usage {
  /** Per server: resident set size in MiB before and after. */
  rss: { before?: number; after?: number }[];
  serverCpu: (number | undefined)[];
  /** The PostgreSQL processes serving the bench database. */
  databaseCpu?: number;
  /** The Redis server (shared with whatever else uses it). */
  redisCpu?: number;
  /** This process: the load generator and its clients. */
  benchCpu: number;
  /** Everything on the machine, out of `cores` × 100: shows when others competed for it. */
  machineCpu?: number;
  cores: number;
}

export interface Probe {
  stop(): Promise<Usage>;
}

const sum = (values: (number | undefined)[]) =>
  values.reduce<number>((total, v) => total + (v ?? 0), 0);

/**
 * Starts measuring CPU and memory of the servers, the database sessions, Redis (`redisPid`), the
 * bench and the machine.
 */
export async function startProbe(
  servers: readonly ServerProcess[],
  db?: BenchDatabase,
  redisPid?: number,
): Promise<Probe> {
  const pids = (await db?.backendPids()) ?? [];
  const databaseCpu = new Map(pids.map((pid) => [pid, processCpuMs(pid)]));
  const serverCpu = servers.map((s) => s.cpuMs());
  const rss = servers.map((s) => s.rssMiB());
  const redis = redisPid && processCpuMs(redisPid);
  const machine = machineBusyMs();
  const bench = process.cpuUsage();
  const startedAt = now();
  return {
    stop: async () => {
      const wallMs = now() - startedAt;
      const benchUsed = process.cpuUsage(bench);
      const machineNow = machineBusyMs();
      const percent = (before: number | undefined, after: number | undefined) =>
        before === undefined || after === undefined ? undefined : ((after - before) / wallMs) * 100;
      // Backends that connected during the phase count from zero.
      const databaseUsed = db
        ? sum(
            (await db.backendPids()).map((pid) =>
              percent(databaseCpu.get(pid) ?? 0, processCpuMs(pid)),
            ),
          )
        : undefined;
      return {
        rss: servers.map((s, i) => ({ before: rss[i], after: s.rssMiB() })),
        serverCpu: servers.map((s, i) => percent(serverCpu[i], s.cpuMs())),
        databaseCpu: databaseUsed,
        redisCpu: redisPid ? percent(redis, processCpuMs(redisPid)) : undefined,
        benchCpu: percent(0, (benchUsed.user + benchUsed.system) / 1000) ?? 0,
        machineCpu: percent(machine, machineNow),
        cores: availableParallelism(),
      };
    },
  };
}
