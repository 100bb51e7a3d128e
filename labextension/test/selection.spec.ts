import { describe, expect, it } from 'vitest';
import { RunSelection, nextFocus, IRowLookup } from '../src/model/selection';

function list(ids: (string | undefined)[]): IRowLookup {
  return { idAt: i => ids[i], indexOf: id => ids.indexOf(id) };
}

describe('RunSelection', () => {
  const rows = list(['a', 'b', 'c', 'd', 'e']);

  it('click selects one, ctrl-click toggles, shift-click selects the range', () => {
    const s = new RunSelection();
    expect(s.click(1, 'b', {}, rows)).toBe(true);
    expect(s.ids).toEqual(['b']);
    s.click(3, 'd', { toggle: true }, rows);
    expect(s.ids.sort()).toEqual(['b', 'd']);
    s.click(1, 'b', { toggle: true }, rows);
    expect(s.ids).toEqual(['d']);
    // shift from the anchor (b, the last ctrl-click, even one that unselected) down to d
    s.click(3, 'd', { shift: true }, rows);
    expect(s.ids.sort()).toEqual(['b', 'c', 'd']);
    // another shift-click extends from the same anchor, replacing the range
    s.click(0, 'a', { shift: true }, rows);
    expect(s.ids.sort()).toEqual(['a', 'b']);
    // a plain click replaces everything
    expect(s.click(2, 'c', {}, rows)).toBe(true);
    expect(s.ids).toEqual(['c']);
    expect(s.click(2, 'c', {}, rows)).toBe(false);
  });

  it('ctrl+shift adds a range to the selection', () => {
    const s = new RunSelection();
    s.click(0, 'a', {}, rows);
    s.click(3, 'd', { toggle: true }, rows);
    s.click(4, 'e', { shift: true, toggle: true }, rows);
    expect(s.ids.sort()).toEqual(['a', 'd', 'e']);
  });

  it('survives a refresh that moves the rows (new runs on top)', () => {
    const s = new RunSelection();
    s.click(1, 'b', {}, rows);
    s.click(2, 'c', { shift: true }, rows);
    const refreshed = list(['new1', 'new2', 'a', 'b', 'c', 'd', 'e']);
    expect(s.has('b') && s.has('c')).toBe(true);
    // shift-click after the refresh ranges from the anchor's new index
    s.click(5, 'd', { shift: true }, refreshed);
    expect(s.ids.sort()).toEqual(['b', 'c', 'd']);
  });

  it('skips rows not loaded yet and falls back to a click without an anchor', () => {
    const s = new RunSelection();
    s.click(3, 'd', { shift: true }, rows); // no anchor yet: a plain click
    expect(s.ids).toEqual(['d']);
    const sparse = list(['a', undefined, undefined, 'd']);
    s.click(0, 'a', { shift: true }, sparse);
    expect(s.ids.sort()).toEqual(['a', 'd']);
  });

  it('Space toggles, set and clear', () => {
    const s = new RunSelection();
    s.toggle('x');
    s.toggle('y');
    s.toggle('x');
    expect(s.ids).toEqual(['y']);
    s.set(['p', 'q']);
    expect(s.size).toBe(2);
    expect(s.anchor).toBe('q');
    s.clear();
    expect(s.size).toBe(0);
    expect(s.anchor).toBeNull();
  });
});

describe('nextFocus', () => {
  it('moves with arrows, pages and Home/End, clamped to the list', () => {
    expect(nextFocus('ArrowDown', -1, 5)).toBe(0);
    expect(nextFocus('ArrowDown', 4, 5)).toBe(4);
    expect(nextFocus('ArrowUp', 0, 5)).toBe(0);
    expect(nextFocus('ArrowUp', 3, 5)).toBe(2);
    expect(nextFocus('End', 0, 10_000)).toBe(9_999);
    expect(nextFocus('Home', 500, 10_000)).toBe(0);
    expect(nextFocus('PageDown', 5, 100, 20)).toBe(25);
    expect(nextFocus('PageUp', 5, 100, 20)).toBe(0);
    expect(nextFocus('a', 1, 5)).toBeNull();
    expect(nextFocus('ArrowDown', 0, 0)).toBeNull();
  });
});
