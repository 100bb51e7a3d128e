/** Linear scales and tick values for the SVG charts. Pure. */
export type Scale = (v: number) => number;

export function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Maps [d0, d1] onto [r0, r1]; a single-value domain maps to the middle. */
export function linear(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) {
    return () => (r0 + r1) / 2;
  }
  return v => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** About `count` round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return [];
  }
  if (lo === hi) {
    return [lo];
  }
  const raw = Math.abs(hi - lo) / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw) ?? 10 * power;
  const out: number[] = [];
  const [a, b] = lo < hi ? [lo, hi] : [hi, lo];
  for (let t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) {
    out.push(Number(t.toPrecision(12)));
  }
  return out;
}

/** A short label for a number: 4 significant digits, no trailing zeros. */
export function formatNumber(v: unknown): string {
  if (typeof v !== 'number') {
    return v === null || v === undefined ? '' : String(v);
  }
  if (!Number.isFinite(v)) {
    return String(v);
  }
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) {
    return v.toExponential(2);
  }
  return String(Number(v.toPrecision(4)));
}
