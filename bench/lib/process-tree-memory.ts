import { readdirSync, readFileSync } from 'node:fs';

/** The pids of `root` and every descendant, from /proc (a PostgreSQL server: the postmaster and its backends). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // field 4 of /proc/PID/stat is the parent; the command in field 2 may hold spaces, so split after its ')'
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while listing
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return out;
}

/**
 * Memory and descriptors of a process tree: the sum of PSS (proportional set
 * size, so shared memory counts once, not once per process), split into the
 * shared-memory part (`shmemMiB`: PostgreSQL's shared buffers and the rest of
 * its shared segment, which fill up to their configured size as pages are
 * touched) and the rest (`privateMiB`: each process's own memory), and the sum
 * of open descriptors.
 */
export function treeMemory(root: number): { privateMiB: number; shmemMiB: number; fds: number } {
  let pssKb = 0;
  let shmemKb = 0;
  let fds = 0;
  for (const pid of processTree(root)) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pssKb += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      shmemKb += Number(/^Pss_Shmem:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      fds += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // a backend that ended between the listing and the read
    }
  }
  return { privateMiB: (pssKb - shmemKb) / 1024, shmemMiB: shmemKb / 1024, fds };
}
