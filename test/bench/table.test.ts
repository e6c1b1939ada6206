import { ratio, summarize } from '../../bench/src/lib/stats';
import { table } from '../../bench/src/report/table';

test('when both sides of a ratio vary between windows, then the table prints the ratio with its spread', () => {
  const A = summarize([18, 20, 19]);
  const S = summarize([10, 12, 11]);

  const printed = table([
    {
      id: 'T1-F100',
      scenario: 's',
      measured: 'm',
      target: 't',
      ratio: ratio(A, S),
      pass: true,
      detail: {},
    },
  ]);

  // Median 19/11, spread from the extreme pairs: 18/12 to 20/10.
  expect(printed.split('\n')[2]).toContain('| 1.73 (1.50–2.00) | met');
});

test('when a ratio comes from single figures, then the table prints it alone', () => {
  const printed = table([
    {
      id: 'T7-rss',
      scenario: 's',
      measured: 'm',
      target: 't',
      ratio: ratio(summarize([15]), summarize([12])),
      pass: true,
      detail: {},
    },
  ]);

  expect(printed.split('\n')[2]).toContain('| 1.25  | met');
});
