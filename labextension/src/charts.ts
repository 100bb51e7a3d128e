/**
 * Small SVG charts drawn here (no plotting library: plotly.js would add ~3.5 MB to the
 * extension for four chart types). Colours are JupyterLab theme variables, so light and
 * dark themes both work.
 */
import { extent, formatNumber, linear, ticks } from './model/scale';

const SVG = 'http://www.w3.org/2000/svg';

/** One colour per run: theme variables only (repeated with dashes past the palette). */
export const PALETTE = [
  'var(--jp-brand-color1)',
  'var(--jp-warn-color1)',
  'var(--jp-success-color1)',
  'var(--jp-error-color1)',
  'var(--jp-accent-color1)',
  'var(--jp-info-color1, var(--jp-brand-color3))',
  'var(--jp-ui-font-color1)'
];
const DASHES = ['', '5 3', '2 2', '8 3 2 3'];

export function runColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

export function runDash(i: number): string {
  return DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function frame(width: number, height: number, label: string): SVGSVGElement {
  const root = svg('svg', {
    class: 'mj-Chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': label
  });
  root.append(svg('title', {}, label));
  return root;
}

function yAxis(
  root: SVGElement,
  y: (v: number) => number,
  lo: number,
  hi: number,
  x0: number,
  x1: number
) {
  for (const t of ticks(lo, hi, 4)) {
    root.append(
      svg('line', { class: 'mj-Chart-grid', x1: x0, x2: x1, y1: y(t), y2: y(t) }),
      svg(
        'text',
        { class: 'mj-Chart-tick', x: x0 - 4, y: y(t) + 3, 'text-anchor': 'end' },
        formatNumber(t)
      )
    );
  }
}

export interface IBar {
  label: string;
  value: number | null;
  color: string;
  best?: boolean;
}

/** Horizontal bars, one per run, for one metric. */
export function barChart(metric: string, bars: IBar[], width = 360): SVGSVGElement {
  const rowH = 20;
  const left = 110;
  const right = 56;
  const height = 24 + bars.length * rowH + 6;
  const root = frame(width, height, `${metric}: one bar per run`);
  root.append(svg('text', { class: 'mj-Chart-title', x: 4, y: 14 }, metric));
  const values = bars
    .map(b => b.value)
    .filter((v): v is number => typeof v === 'number');
  const ext = extent(values) ?? [0, 1];
  const lo = Math.min(0, ext[0]);
  const hi = Math.max(0, ext[1]) || 1;
  const x = linear([lo, hi], [left, width - right]);
  bars.forEach((b, i) => {
    const top = 24 + i * rowH;
    root.append(
      svg(
        'text',
        { class: 'mj-Chart-label', x: left - 6, y: top + 13, 'text-anchor': 'end' },
        truncate(b.label, 16)
      )
    );
    if (typeof b.value === 'number' && Number.isFinite(b.value)) {
      const x0 = x(Math.min(0, b.value));
      const x1 = x(Math.max(0, b.value));
      const rect = svg('rect', {
        x: x0,
        y: top + 3,
        width: Math.max(1, x1 - x0),
        height: rowH - 7,
        rx: 2,
        style: `fill: ${b.color}`,
        class: b.best ? 'mj-Chart-bar mj-mod-best' : 'mj-Chart-bar'
      });
      rect.append(svg('title', {}, `${b.label}: ${b.value}`));
      root.append(
        rect,
        svg(
          'text',
          { class: 'mj-Chart-value', x: x1 + 4, y: top + 13 },
          formatNumber(b.value) + (b.best ? ' ★' : '')
        )
      );
    } else {
      root.append(
        svg(
          'text',
          { class: 'mj-Chart-missing', x: left + 4, y: top + 13 },
          'not logged'
        )
      );
    }
  });
  return root;
}

export interface ISeries {
  label: string;
  color: string;
  dash: string;
  points: [number, number][];
}

/** Metric curves: value by step, one line per run. */
export function lineChart(
  metric: string,
  series: ISeries[],
  width = 360,
  height = 200
): SVGSVGElement {
  const root = frame(width, height, `${metric} by step, one line per run`);
  const m = { left: 48, right: 10, top: 22, bottom: 24 };
  root.append(svg('text', { class: 'mj-Chart-title', x: 4, y: 14 }, metric));
  const xs = extent(series.flatMap(s => s.points.map(p => p[0]))) ?? [0, 1];
  const ys = extent(series.flatMap(s => s.points.map(p => p[1]))) ?? [0, 1];
  const x = linear(xs, [m.left, width - m.right]);
  const y = linear(ys, [height - m.bottom, m.top]);
  yAxis(root, y, ys[0], ys[1], m.left, width - m.right);
  for (const t of ticks(xs[0], xs[1], 5).filter(t => Number.isInteger(t))) {
    root.append(
      svg(
        'text',
        { class: 'mj-Chart-tick', x: x(t), y: height - 8, 'text-anchor': 'middle' },
        String(t)
      )
    );
  }
  for (const s of series) {
    const pts = s.points.filter(p => Number.isFinite(p[1]));
    if (!pts.length) {
      continue;
    }
    const d = pts
      .map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join('');
    const path = svg('path', {
      d,
      class: 'mj-Chart-line',
      style: `stroke: ${s.color}`,
      'stroke-dasharray': s.dash
    });
    path.append(
      svg('title', {}, `${s.label}: last ${formatNumber(pts[pts.length - 1][1])}`)
    );
    root.append(path);
    if (pts.length === 1) {
      root.append(
        svg('circle', {
          cx: x(pts[0][0]),
          cy: y(pts[0][1]),
          r: 3,
          style: `fill: ${s.color}`
        })
      );
    }
  }
  return root;
}

export interface IAxis {
  name: string;
  /** numbers, or text (categorical: evenly spaced in first-seen order) */
  values: unknown[];
}

/**
 * Parallel coordinates: one vertical axis per param (and the metric last), one polyline
 * per run. Categorical params get evenly spaced ticks.
 */
export function parallelCoordinates(
  axes: IAxis[],
  runs: { label: string; color: string; dash: string }[],
  width = 720,
  height = 260
): SVGSVGElement {
  const root = frame(
    width,
    height,
    `parallel coordinates: ${axes.map(a => a.name).join(', ')}`
  );
  const m = { left: 50, right: 50, top: 30, bottom: 20 };
  if (axes.length < 2) {
    root.append(
      svg(
        'text',
        { class: 'mj-Chart-missing', x: 10, y: 40 },
        'Needs a differing param and a metric.'
      )
    );
    return root;
  }
  const ax = linear([0, axes.length - 1], [m.left, width - m.right]);
  const scales = axes.map(axis => {
    const numeric = axis.values.every(
      v => v === null || v === undefined || typeof v === 'number'
    );
    if (numeric) {
      const ext = extent(
        axis.values.filter((v): v is number => typeof v === 'number')
      ) ?? [0, 1];
      const y = linear(ext, [height - m.bottom, m.top]);
      return {
        y: (v: unknown) => (typeof v === 'number' ? y(v) : null),
        ticks: ticks(ext[0], ext[1], 4).map(t => [t, y(t)] as const)
      };
    }
    const cats = [
      ...new Set(
        axis.values.filter(v => v !== null && v !== undefined).map(v => String(v))
      )
    ];
    const y = linear([0, Math.max(1, cats.length - 1)], [height - m.bottom, m.top]);
    return {
      y: (v: unknown) =>
        v === null || v === undefined ? null : y(cats.indexOf(String(v))),
      ticks: cats.map((c, i) => [c, y(i)] as const)
    };
  });
  axes.forEach((axis, i) => {
    const xpos = ax(i);
    root.append(
      svg('line', {
        class: 'mj-Chart-axis',
        x1: xpos,
        x2: xpos,
        y1: m.top,
        y2: height - m.bottom
      }),
      svg(
        'text',
        {
          class: 'mj-Chart-axisLabel',
          x: xpos,
          y: m.top - 10,
          'text-anchor': 'middle'
        },
        truncate(axis.name, 18)
      )
    );
    for (const [t, ypos] of scales[i].ticks) {
      root.append(
        svg(
          'text',
          { class: 'mj-Chart-tick', x: xpos - 4, y: ypos + 3, 'text-anchor': 'end' },
          typeof t === 'number' ? formatNumber(t) : truncate(t, 10)
        )
      );
    }
  });
  runs.forEach((run, r) => {
    const pts: string[] = [];
    axes.forEach((axis, i) => {
      const ypos = scales[i].y(axis.values[r]);
      if (ypos !== null) {
        pts.push(`${ax(i).toFixed(1)},${ypos.toFixed(1)}`);
      }
    });
    const line = svg('polyline', {
      points: pts.join(' '),
      class: 'mj-Chart-line',
      style: `stroke: ${run.color}`,
      'stroke-dasharray': run.dash
    });
    line.append(svg('title', {}, run.label));
    root.append(line);
  });
  return root;
}

function truncate(text: string, n: number): string {
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}
