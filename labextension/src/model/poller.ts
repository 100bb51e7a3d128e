/**
 * Live refresh of the runs list: poll a cheap change token (GET status) every `interval` ms
 * while the panel is visible, never while hidden, and call `onChange` when the token moved.
 * Pure (timers only), so the on/off behaviour is unit-tested with fake timers.
 */
export class ChangePoller {
  constructor(
    private readonly check: () => Promise<string>,
    private readonly onChange: (version: string) => void,
    public interval = 1000
  ) {}

  get running(): boolean {
    return this._running;
  }

  /** Start (the panel became visible): checks at once, then every `interval` ms. */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    void this._tick();
  }

  /** Stop (the panel was hidden): no request is made until `start` again. */
  stop(): void {
    this._running = false;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  /**
   * Forget the last token (another store): the next token is the new baseline. A check
   * still in flight asked about the old store: its answer is dropped.
   */
  forget(): void {
    this._version = null;
    this._epoch++;
  }

  private async _tick(): Promise<void> {
    this._timer = null;
    if (!this._running) {
      return;
    }
    const epoch = this._epoch;
    try {
      const version = await this.check();
      if (this._running && epoch === this._epoch && version !== this._version) {
        const first = this._version === null;
        this._version = version;
        if (!first) {
          this.onChange(version);
        }
      }
    } catch {
      // the server may be restarting: try again at the next tick
    }
    if (this._running && this._timer === null) {
      this._timer = setTimeout(() => void this._tick(), this.interval);
    }
  }

  private _running = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _version: string | null = null;
  private _epoch = 0;
}
