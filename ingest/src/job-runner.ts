import type pg from 'pg';
import { createLogger, type Logger } from './logger.js';

/** Options for `startJobRunner`. */
export interface JobRunnerOptions {
  /** How often to look for due jobs, in ms. Default 60 000. */
  checkIntervalMs?: number;
  /** The clock that spaces runs by each job's schedule_interval, ms since epoch. Default `Date.now`. */
  nowMs?: () => number;
  logger?: Logger;
}

/** A running job runner; `active` is false when the server schedules its own jobs. */
export interface JobRunner {
  readonly active: boolean;
  /** Run every due job now (also what the timer does); resolves with the ids run. */
  runDue(): Promise<number[]>;
  close(): Promise<void>;
}

// The policies vigil_apply_policies sets; other jobs (e.g. TimescaleDB's own housekeeping) are left alone.
const POLICY_JOBS = ['policy_compression', 'policy_retention', 'policy_refresh_continuous_aggregate'];

/**
 * True when TimescaleDB is loaded but nothing will run its background jobs:
 * the embedded PGlite build has no background workers (its loader, which
 * defines `timescaledb.max_background_workers`, is not preloaded), or a server
 * has them turned off (0).
 */
export async function needsJobRunner(pool: pg.Pool): Promise<boolean> {
  const res = await pool.query<{ ts: boolean; workers: string | null }>(
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS ts, current_setting('timescaledb.max_background_workers', true) AS workers",
  );
  const row = res.rows[0];
  return row !== undefined && row.ts && (row.workers === null || row.workers === '' || row.workers === '0');
}

/**
 * Run the compression, retention and aggregate-refresh policies with
 * `CALL run_job` on their schedule, where the server has no scheduler of its
 * own (`needsJobRunner`); otherwise inactive. The first check is one interval
 * after start (start-up keeps the single embedded connection to itself); each
 * job then runs every `schedule_interval`. A failing job is logged and tried
 * again at its next turn.
 */
export async function startJobRunner(pool: pg.Pool, opts: JobRunnerOptions = {}): Promise<JobRunner> {
  const log = opts.logger ?? createLogger('job-runner');
  const nowMs = opts.nowMs ?? Date.now;
  const active = await needsJobRunner(pool);
  const nextDueMs = new Map<number, number>();
  let running: Promise<number[]> | undefined;
  let closed = false;

  const runDueOnce = async (): Promise<number[]> => {
    const jobs = await pool.query<{ job_id: number; proc_name: string; hypertable_name: string | null; every_ms: number }>(
      `SELECT job_id, proc_name, hypertable_name, (extract(epoch FROM schedule_interval) * 1000)::float8 AS every_ms
         FROM timescaledb_information.jobs
        WHERE scheduled AND proc_name = ANY($1::text[])
        ORDER BY job_id`,
      [POLICY_JOBS],
    );
    const ran: number[] = [];
    for (const job of jobs.rows) {
      if (closed) break;
      if ((nextDueMs.get(job.job_id) ?? 0) > nowMs()) continue;
      nextDueMs.set(job.job_id, nowMs() + job.every_ms);
      try {
        // run_job commits as it goes (procedure with transaction control): never inside BEGIN.
        await pool.query(`CALL run_job(${Number(job.job_id)})`);
        ran.push(job.job_id);
      } catch (err) {
        log.error({ err, jobId: job.job_id, proc: job.proc_name, table: job.hypertable_name }, 'policy job failed; retried at its next turn');
      }
    }
    return ran;
  };
  const runDue = (): Promise<number[]> => {
    if (!active || closed) return Promise.resolve([]);
    running ??= runDueOnce().finally(() => (running = undefined));
    return running;
  };

  let timer: NodeJS.Timeout | undefined;
  if (active) {
    log.info('the database runs no background jobs (embedded PGlite); running storage policies from here');
    const tick = () => {
      runDue()
        .catch((err: unknown) => log.error({ err }, 'listing policy jobs failed'))
        .finally(() => {
          if (!closed) timer = setTimeout(tick, opts.checkIntervalMs ?? 60_000).unref();
        });
    };
    timer = setTimeout(tick, opts.checkIntervalMs ?? 60_000).unref();
  }

  return {
    active,
    runDue,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
