import type { Summary } from '../lib/stats';

/** One line of the results table: a target row (T1…T12) or a variation. */
export interface Row {
  /** 'T1-F10', 'T8-hot-room', 'V-flush-5ms', ... */
  id: string;
  scenario: string;
  /** What was measured, formatted: "A 3.1 (3.0–3.3) µs, S 2.8 (2.7–2.9) µs". */
  measured: string;
  /** The target in words: "A/S ≤ 1.15". */
  target: string;
  /** The ratio the target is about, median and spread. */
  ratio?: Summary;
  /** Undefined when the row has no target (a variation). */
  pass?: boolean;
  detail: Record<string, unknown>;
}
