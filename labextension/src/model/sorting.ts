/** Column sort of the runs list, as the `order` text of GET runs (mj.runs' order_by). Pure. */
export type ColumnKind = 'metric' | 'param' | 'attr';

export interface IColumn {
  kind: ColumnKind;
  key: string;
}

export interface ISort {
  column: IColumn;
  desc: boolean;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A key as the query language reads it: backticks around unusual names. */
export function quoteKey(key: string): string {
  if (PLAIN.test(key)) {
    return key;
  }
  if (!key.includes('`')) {
    return '`' + key + '`';
  }
  return '"' + key.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export function columnText(column: IColumn): string {
  switch (column.kind) {
    case 'metric':
      return `metrics.${quoteKey(column.key)}`;
    case 'param':
      return `params.${quoteKey(column.key)}`;
    default:
      return column.key;
  }
}

/** The `order` argument; '' is the server's default (newest first). */
export function orderText(sort: ISort | null): string {
  return sort ? `${columnText(sort.column)} ${sort.desc ? 'DESC' : 'ASC'}` : '';
}

export function sameColumn(
  a: IColumn | null | undefined,
  b: IColumn | null | undefined
) {
  return !!a && !!b && a.kind === b.kind && a.key === b.key;
}

/**
 * A click on a column header: a new column sorts in its natural first direction (names
 * A-Z, metrics and times high/new first), a second click reverses it, a third returns
 * to the default order.
 */
export function nextSort(current: ISort | null, column: IColumn): ISort | null {
  const firstDesc = !(column.kind === 'attr' && column.key === 'run_name');
  if (!current || !sameColumn(current.column, column)) {
    return { column, desc: firstDesc };
  }
  if (current.desc === firstDesc) {
    return { column, desc: !firstDesc };
  }
  return null;
}

const LOWER_IS_BETTER = [
  'loss',
  'logloss',
  'nll',
  'error',
  'errors',
  'err',
  'rmse',
  'mse',
  'mae',
  'mape',
  'smape',
  'rmsle',
  'msle',
  'perplexity',
  'ppl',
  'wer',
  'cer',
  'fpr',
  'fnr',
  'brier',
  'deviance',
  'aic',
  'bic',
  'latency',
  'time',
  'seconds',
  'duration',
  'rank',
  'std',
  'distance',
  'drift',
  'cost',
  'regret'
];

/** Which way a metric improves, from its last word (mlops_jupyter's metric_names rule). */
export function metricDirection(name: string): 'min' | 'max' {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words[words.length - 1] ?? '';
  return LOWER_IS_BETTER.includes(last) ? 'min' : 'max';
}

/** The index of the best row by a metric (missing and NaN values never win), or -1. */
export function bestIndex(
  values: (number | null | undefined)[],
  direction: 'min' | 'max'
): number {
  let best = -1;
  values.forEach((v, i) => {
    if (typeof v !== 'number' || Number.isNaN(v)) {
      return;
    }
    const b = best >= 0 ? (values[best] as number) : undefined;
    if (b === undefined || (direction === 'max' ? v > b : v < b)) {
      best = i;
    }
  });
  return best;
}
