import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * CPU seconds used so far by the PostgreSQL server whose data directory is `dataDir` (Linux /proc, clock
 * ticks of 1/100 s): the postmaster's own time plus its reaped children's, and every live child's
 * (backends, checkpointer, walwriter, autovacuum). Differences between two readings are what it spent.
 */
export function pgCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const fieldsOf = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = fieldsOf(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = fieldsOf(entry);
      if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile: its time is in the postmaster's children's total once reaped
    }
  }
  return ticks / 100;
}
