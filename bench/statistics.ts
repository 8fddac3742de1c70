// Summaries of repeated measurements, as the report's tables print them: the median, and the spread as min–max.
import { median } from './report.js';

/** Nearest-rank percentile (p in 0..100): a latency that some request really had, not an interpolation. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** "min–max" of the runs, with `digits` decimals. */
export function spread(values: number[], digits: number): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

/** The median with `digits` decimals. */
export function medianText(values: number[], digits: number): string {
  return median(values).toFixed(digits);
}
