/** Percentiles and summaries shared by every scenario. */

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100). NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const i = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[i] as number;
}

/** Summarise samples (milliseconds or anything else). Does not modify the input. */
export function summarize(samples: ArrayLike<number>): Summary {
  const a = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] as number;
  return {
    n: a.length,
    p50: round(percentile(a, 50)),
    p90: round(percentile(a, 90)),
    p99: round(percentile(a, 99)),
    max: round(a.length ? (a[a.length - 1] as number) : NaN),
    mean: round(a.length ? sum / a.length : NaN),
  };
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Growable sample buffer that avoids boxing (latency samples can reach millions per step). */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
}
