import { formatNumber } from './model/scale';
import { IRunRow } from './types';

export { formatNumber };

/** "3 s ago", "5 min ago", "2 h ago", then the date. */
export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) {
    return '';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.max(0, (now - t) / 1000);
  if (s < 60) {
    return `${Math.floor(s)} s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  return new Date(t).toISOString().slice(0, 10);
}

export function fullTime(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toLocaleString();
}

export function runLabel(run: IRunRow): string {
  return run.name || run.run_id.slice(0, 8);
}

const SYMBOLS: Record<string, string> = {
  FINISHED: '✓',
  RUNNING: '●',
  FAILED: '✕',
  KILLED: '■'
};

/**
 * A status badge: FINISHED / RUNNING / FAILED / KILLED (other statuses keep their text).
 * `compact`: a round symbol badge for the narrow sidebar list.
 */
export function statusBadge(status: string, compact = false): HTMLElement {
  const badge = document.createElement('span');
  const known = status in SYMBOLS;
  badge.className =
    `mj-Status mj-Status-${known ? status : 'OTHER'}` +
    (compact ? ' mj-mod-compact' : '');
  badge.textContent = compact ? (SYMBOLS[status] ?? '?') : status.toLowerCase();
  badge.title = status;
  badge.setAttribute('aria-label', `status ${status.toLowerCase()}`);
  return badge;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') {
      node.className = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

export function value(v: unknown): string {
  if (typeof v === 'number') {
    return formatNumber(v);
  }
  if (v === null || v === undefined) {
    return '';
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}
