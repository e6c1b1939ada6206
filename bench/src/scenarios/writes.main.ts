// The write-heavy scenario alone: `npx tsx bench/src/scenarios/writes.main.ts [--quick]
// [--json <file>]`. Prints the rows as a table on stdout, progress on stderr.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startPostgres } from '../lib/infra';
import { pinSelf } from '../lib/proc';
import { formatSummary } from '../lib/stats';
import type { Row } from './rows';
import { runWriteBench } from './writes';

function table(rows: Row[]): string {
  const cells = rows.map((row) => [
    row.id,
    row.pass === undefined ? '' : row.pass ? 'pass' : 'FAIL',
    row.measured,
    row.target,
    row.ratio ? formatSummary(row.ratio, 2) : '',
  ]);
  const header = ['row', 'result', 'measured', 'target', 'ratio'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((line) => line[i]!.length)),
  );
  const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ');
  return [
    format(header),
    widths.map((width) => '-'.repeat(width)).join('-|-'),
    ...cells.map(format),
  ]
    .map((line) => line.trimEnd())
    .join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } },
  });
  // First, so that only what it starts later is placed on the server core.
  pinSelf();
  const startedAt = performance.now();
  const postgres = await startPostgres();
  // Interrupted: the cluster goes too (the servers die with this process).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void postgres.stop().finally(() => process.exit(1)));
  }
  try {
    const rows = await runWriteBench({
      quick: values.quick,
      postgres,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${table(rows)}\n`);
    if (values.json) await writeFile(values.json, JSON.stringify(rows, null, 2));
  } finally {
    await postgres.stop();
  }
  process.stderr.write(`done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
