import { formatSummary } from '../lib/stats';
import type { Row } from '../scenarios/rows';

/** The run's rows as a Markdown table: figures, target, the ratio with its spread, verdict. */
export function table(rows: Row[]): string {
  const cells = rows.map((row) => [
    row.id,
    row.scenario,
    row.measured,
    row.target,
    row.ratio ? formatSummary(row.ratio, 2) : '',
    row.pass === undefined ? '' : row.pass ? 'met' : 'MISSED',
  ]);
  const header = ['row', 'scenario', 'measured (median, min–max)', 'target', 'ratio', ''];
  const widths = header.map((_, i) =>
    Math.max(...[header, ...cells].map((line) => line[i]!.length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
