// Summaries of repeated measurements: the median, and the spread as min..max.

export interface Summary {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export function summarize(values: number[]): Summary {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length === 0
      ? NaN
      : sorted.length % 2 === 1
        ? sorted[Math.floor(middle)]!
        : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, values };
}

/** "12.3 (11.9–12.8)": median and spread, to `digits` decimals. */
export function formatSummary(summary: Summary, digits = 1): string {
  if (!Number.isFinite(summary.median)) return 'n/a';
  // A ratio keeps no values, only its spread from the extreme pairs: that is printed too.
  if (!(summary.min < summary.max)) return summary.median.toFixed(digits);
  return `${summary.median.toFixed(digits)} (${summary.min.toFixed(digits)}–${summary.max.toFixed(digits)})`;
}

/** The ratio of two summaries: median over median, spread from the extreme pairs. */
export function ratio(a: Summary, b: Summary): Summary {
  return {
    median: a.median / b.median,
    min: a.min / b.max,
    max: a.max / b.min,
    values: [],
  };
}
