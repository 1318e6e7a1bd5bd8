// A notification runner in its own process, for the restart test: it routes the
// alerts given on the command line through a webhook that never answers, says
// "claimed" once a row is being sent, and waits to be killed.
import { createPool } from '@vigil/ingest';
import type { Alert } from '@vigil/schemas';
import { createNotifier, createWebhookChannel } from '../src/notifications/index.js';
import { createLogger } from '../src/logger.js';

const [dbUrl, hookUrl, alertsJson] = process.argv.slice(2) as [string, string, string];
const pool = createPool(dbUrl);
const notifier = createNotifier({
  pool,
  channels: [createWebhookChannel({ gov: { url: hookUrl, secret: 'k' } })],
  concurrency: 1,
  leaseMs: 1500,
  sendTimeoutMs: 600_000,
  sweepMs: 0,
  pollMs: 50,
  policyCacheMs: 0,
  storm: { groupWindowMs: 0, maxPerMinute: 10_000 },
  logger: createLogger('notify-child', 'silent'),
});
for (const a of JSON.parse(alertsJson) as Alert[]) await notifier.route(a);
notifier.start();
const timer = setInterval(() => {
  void pool.query<{ n: number }>("SELECT count(*)::int AS n FROM notifications WHERE state = 'sending'").then(({ rows }) => {
    if (rows[0]!.n > 0) {
      process.stdout.write('claimed\n');
      clearInterval(timer);
    }
  });
}, 50);
