import { describe, expect, it } from 'vitest';
import { PagedRows, IPageResult } from '../src/model/paging';

/** A fake GET runs over `n` rows that records each request and answers when told. */
function server(n: number) {
  const calls: { offset: number; limit: number; resolve: () => void }[] = [];
  let data = Array.from({ length: n }, (_, i) => `run-${i}`);
  const fetcher = (offset: number, limit: number) =>
    new Promise<IPageResult<string>>(resolve => {
      const snapshot = data;
      calls.push({
        offset,
        limit,
        resolve: () =>
          resolve({
            total: snapshot.length,
            rows: snapshot.slice(offset, offset + limit)
          })
      });
    });
  return {
    calls,
    fetcher,
    setData: (rows: string[]) => (data = rows),
    answerAll: async () => {
      for (const c of calls.splice(0)) {
        c.resolve();
      }
      await new Promise(r => setTimeout(r, 0));
    }
  };
}

describe('PagedRows', () => {
  it('fetches only the pages covering the visible rows, once each', async () => {
    const s = server(10_000);
    let changes = 0;
    const rows = new PagedRows(s.fetcher, 100, () => changes++);
    void rows.ensure(0, 30);
    void rows.ensure(10, 40); // same page, in flight: no second request
    expect(s.calls.map(c => [c.offset, c.limit])).toEqual([[0, 100]]);
    await s.answerAll();
    expect(rows.total).toBe(10_000);
    expect(rows.get(5)).toBe('run-5');
    expect(rows.get(150)).toBeUndefined();
    expect(changes).toBe(1);

    // scrolling to rows 9950..9990 fetches the last page only
    void rows.ensure(9950, 9990);
    expect(s.calls.map(c => c.offset)).toEqual([9900]);
    await s.answerAll();
    expect(rows.get(9999)).toBe('run-9999');
    // a range across two pages fetches both
    void rows.ensure(290, 310);
    expect(s.calls.map(c => c.offset)).toEqual([200, 300]);
    await s.answerAll();
    expect(rows.isLoaded(290, 310)).toBe(true);
    // loaded pages are not fetched again, and nothing past the end is asked for
    void rows.ensure(0, 20_000 - 19_999);
    void rows.ensure(9999, 12_000);
    expect(s.calls).toHaveLength(0);
    expect(rows.requests).toBe(4);
  });

  it('refresh keeps rows until their new page arrives, then shows the new data', async () => {
    const s = server(250);
    const rows = new PagedRows(s.fetcher, 100);
    void rows.ensure(0, 50);
    await s.answerAll();
    s.setData(['new-run', ...Array.from({ length: 250 }, (_, i) => `run-${i}`)]);
    rows.refresh();
    expect(rows.get(0)).toBe('run-0'); // no flicker while refetching
    expect(rows.isLoaded(0, 50)).toBe(false);
    void rows.ensure(0, 50);
    expect(s.calls).toHaveLength(1);
    await s.answerAll();
    expect(rows.get(0)).toBe('new-run');
    expect(rows.total).toBe(251);
  });

  it('refetches after a refresh even when the list was empty (the first run appears)', async () => {
    const s = server(0);
    const rows = new PagedRows(s.fetcher, 100);
    void rows.ensure(0, 100);
    await s.answerAll();
    expect(rows.total).toBe(0);
    s.setData(['first-run']);
    rows.refresh();
    void rows.ensure(0, 100);
    expect(s.calls).toHaveLength(1);
    await s.answerAll();
    expect(rows.total).toBe(1);
    expect(rows.get(0)).toBe('first-run');
    // and a list that grew past its old end fetches the new rows
    s.setData(Array.from({ length: 150 }, (_, i) => `r${i}`));
    rows.refresh();
    void rows.ensure(0, 100);
    await s.answerAll();
    void rows.ensure(100, 150);
    expect(s.calls.map(c => c.offset)).toEqual([100]);
  });

  it('drops the answer to an older query', async () => {
    const s = server(500);
    const rows = new PagedRows(s.fetcher, 100);
    void rows.ensure(0, 10);
    const slow = s.calls.splice(0);
    rows.reset(); // the user typed another filter
    expect(rows.get(0)).toBeUndefined();
    s.setData(['only-match']);
    void rows.ensure(0, 10);
    await s.answerAll();
    slow[0].resolve(); // the old answer arrives last
    await new Promise(r => setTimeout(r, 0));
    expect(rows.total).toBe(1);
    expect(rows.get(0)).toBe('only-match');
    expect(rows.get(1)).toBeUndefined();
  });

  it('forgets pages past a shrunken end and reports errors of the current query', async () => {
    const s = server(300);
    const errors: unknown[] = [];
    const rows = new PagedRows(s.fetcher, 100, undefined, e => errors.push(e));
    void rows.ensure(0, 300);
    await s.answerAll();
    expect(rows.get(250)).toBe('run-250');
    s.setData(['a', 'b']);
    rows.refresh();
    void rows.ensure(0, 10);
    await s.answerAll();
    expect(rows.total).toBe(2);
    expect(rows.get(250)).toBeUndefined();

    const failing = new PagedRows<string>(
      () => Promise.reject(new Error('bad filter')),
      50,
      undefined,
      e => errors.push(e)
    );
    await failing.ensure(0, 10);
    expect(errors.map(e => (e as Error).message)).toEqual(['bad filter']);
    // a failed page is asked again on the next ensure (not stuck in flight)
    await failing.ensure(0, 10);
    expect(failing.requests).toBe(2);
  });

  it('refuses a page size below one', () => {
    expect(() => new PagedRows(() => Promise.reject(), 0)).toThrow(/at least 1/);
  });
});
