import { describe, expect, it } from 'vitest';
import {
  bestIndex,
  metricDirection,
  nextSort,
  orderText,
  quoteKey
} from '../src/model/sorting';
import { ticks, linear, formatNumber } from '../src/model/scale';

describe('sorting', () => {
  it('builds the order text of mj.runs, quoting unusual keys', () => {
    const acc = { kind: 'metric' as const, key: 'accuracy' };
    expect(orderText({ column: acc, desc: true })).toBe('metrics.accuracy DESC');
    expect(orderText({ column: { kind: 'param', key: 'C' }, desc: false })).toBe(
      'params.C ASC'
    );
    expect(orderText({ column: { kind: 'metric', key: 'val loss' }, desc: true })).toBe(
      'metrics.`val loss` DESC'
    );
    expect(quoteKey('we`ird')).toBe('"we`ird"');
    expect(orderText(null)).toBe('');
  });

  it('cycles a header: first direction, reversed, default', () => {
    const time = { kind: 'attr' as const, key: 'start_time' };
    let s = nextSort(null, time);
    expect(orderText(s)).toBe('start_time DESC');
    s = nextSort(s, time);
    expect(orderText(s)).toBe('start_time ASC');
    expect(nextSort(s, time)).toBeNull();
    expect(orderText(nextSort(null, { kind: 'attr', key: 'run_name' }))).toBe(
      'run_name ASC'
    );
    // another column starts over
    expect(orderText(nextSort(s, { kind: 'metric', key: 'f1' }))).toBe(
      'metrics.f1 DESC'
    );
  });

  it('knows which way a metric improves and picks the best run', () => {
    expect(metricDirection('val_loss')).toBe('min');
    expect(metricDirection('trainRMSE')).toBe('min');
    expect(metricDirection('accuracy')).toBe('max');
    expect(bestIndex([0.9, null, 0.95, NaN], 'max')).toBe(2);
    expect(bestIndex([0.3, 0.1, undefined], 'min')).toBe(1);
    expect(bestIndex([null, undefined], 'max')).toBe(-1);
  });
});

describe('scale', () => {
  it('makes round ticks and maps domains', () => {
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 3)).toEqual([3]);
    expect(linear([0, 10], [100, 0])(5)).toBe(50);
    expect(linear([2, 2], [0, 10])(2)).toBe(5);
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(1234567)).toBe('1.23e+6');
    expect(formatNumber('rf')).toBe('rf');
  });
});
