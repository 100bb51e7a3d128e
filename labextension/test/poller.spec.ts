import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangePoller } from '../src/model/poller';

describe('ChangePoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls every interval while started, never while stopped, and reports changes', async () => {
    let version = 'v1';
    let checks = 0;
    const changes: string[] = [];
    const poller = new ChangePoller(
      async () => {
        checks++;
        return version;
      },
      v => changes.push(v),
      1000
    );
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(checks).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(checks).toBe(4);
    expect(changes).toEqual([]); // the first token is not a change
    version = 'v2';
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual(['v2']);

    poller.stop(); // the panel is hidden
    const stoppedAt = checks;
    version = 'v3';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(checks).toBe(stoppedAt);
    expect(changes).toEqual(['v2']);

    poller.start(); // shown again: a change made while hidden is reported at once
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual(['v2', 'v3']);
    poller.start(); // idempotent: still one timer
    await vi.advanceTimersByTimeAsync(1000);
    expect(checks).toBe(stoppedAt + 2);
    poller.stop();
  });

  it('keeps polling after a failed check', async () => {
    let fail = true;
    let checks = 0;
    const poller = new ChangePoller(async () => {
      checks++;
      if (fail) {
        throw new Error('server restarting');
      }
      return 'v';
    }, vi.fn());
    poller.start();
    await vi.advanceTimersByTimeAsync(2000);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(checks).toBe(4);
    expect(poller.running).toBe(true);
    poller.stop();
  });

  it('drops a check that started before forget() (the old store answers late)', async () => {
    let store = 'a';
    let release: (v: string) => void = () => undefined;
    const changes: string[] = [];
    const poller = new ChangePoller(
      () =>
        store === 'a'
          ? new Promise<string>(resolve => (release = resolve))
          : Promise.resolve('b1'),
      v => changes.push(v),
      1000
    );
    poller.start(); // a check of store a is in flight
    await vi.advanceTimersByTimeAsync(0);
    store = 'b';
    poller.forget(); // the user picked store b
    release('a7'); // store a's token arrives after the switch
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(3000);
    // b's first token is its baseline, not a change (a change would refetch the list)
    expect(changes).toEqual([]);
    poller.stop();
  });
});
