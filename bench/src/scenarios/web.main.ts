// T9 and T10 on their own: `npx tsx bench/src/scenarios/web.main.ts [--quick]`. Starts a private
// PostgreSQL, runs both website benches from the load core, prints their rows, stops it all.
import { startPostgres } from '../lib/infra';
import { pinSelf } from '../lib/proc';
import { formatSummary } from '../lib/stats';
import type { Row } from './rows';
import { runLoginBench, runQueryBench } from './web';

const started = performance.now();
const log = (line: string) => process.stdout.write(`${line}\n`);
const logTimed = (line: string) =>
  log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);

function printRow(row: Row): void {
  const verdict = row.pass === undefined ? '-' : row.pass ? 'pass' : 'MISS';
  const ratio = row.ratio ? formatSummary(row.ratio, 2) : '-';
  log(
    `${row.id} | ${row.scenario} | ${row.measured} | ${row.target} | ratio ${ratio} | ${verdict}`,
  );
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  pinSelf();
  const postgres = await startPostgres();
  try {
    const rows = [
      ...(await runLoginBench({ quick, postgres, log: logTimed })),
      ...(await runQueryBench({ quick, postgres, log: logTimed })),
    ];
    log('');
    rows.forEach(printRow);
  } finally {
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
