import { describe, expect, it } from 'vitest';
import { describeFilterError, describeOrderError } from '../src/model/filtererror';

describe('describeFilterError', () => {
  it("puts the caret under the server's position and drops mj's echo lines", () => {
    const filter = 'metrics.acc >> 0.9';
    const message =
      'bad filter at position 13: expected a value\n  metrics.acc >> 0.9\n               ^';
    const view = describeFilterError(filter, message, 13);
    expect(view.message).toBe('bad filter at position 13: expected a value');
    expect(view.position).toBe(13);
    expect(view.before + view.at + view.after).toBe(filter);
    expect(view.at).toBe('>');
    expect(view.caret).toBe(' '.repeat(13) + '^');
    expect(view.caret.indexOf('^')).toBe(filter.indexOf('>>') + 1);
  });

  it('reads the position from the message when the field is missing', () => {
    const view = describeFilterError(
      'params.x = ',
      'bad filter at position 11: no value',
      null
    );
    expect(view.position).toBe(11);
    expect(view.at).toBe(''); // the end of the text
    expect(view.caret).toBe(' '.repeat(11) + '^');
  });

  it('clamps a position past the end, and shows no caret without one', () => {
    expect(describeFilterError('abc', 'oops', 99).caret).toBe('   ^');
    const none = describeFilterError(
      'metrics.nope > 1',
      'no run has metrics.nope',
      null
    );
    expect(none.caret).toBe('');
    expect(none.position).toBeNull();
    expect(none.message).toBe('no run has metrics.nope');
    expect(describeFilterError('x', '', null).message).toMatch(/not valid/);
  });
});

describe('describeOrderError', () => {
  it("says which sort failed and why, without mj's position prefix and echo lines", () => {
    const message =
      "bad order_by at position 0: no run has a column 'metrics.m0'. Did you mean " +
      'metrics.loss?\n  metrics.m0 DESC\n  ^';
    expect(describeOrderError('metrics.m0', message)).toBe(
      "Cannot sort by metrics.m0: no run has a column 'metrics.m0'. Did you mean " +
        'metrics.loss? Showing the newest runs first.'
    );
    expect(describeOrderError('duration', 'bad order_by: oops')).toBe(
      'Cannot sort by duration: oops. Showing the newest runs first.'
    );
  });
});
