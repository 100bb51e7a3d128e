/**
 * Rows of a long list fetched page by page (GET runs with limit/offset) as they scroll into
 * view. Pure: the fetcher is injected, so the logic is unit-tested without a server.
 *
 * - A page is fetched once: overlapping `ensure` calls share the request in flight.
 * - `refresh()` (the store changed) keeps the rows on screen until their new page arrives,
 *   so a live refresh does not flicker; `reset()` (another query) drops them.
 * - An answer to an older query or refresh is dropped (a slow page never overwrites a newer).
 */
export interface IPageResult<T> {
  total: number;
  rows: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<IPageResult<T>>;

interface IPage<T> {
  rows: T[];
  generation: number;
}

export class PagedRows<T> {
  constructor(
    private fetcher: PageFetcher<T>,
    pageSize: number,
    private onChange: () => void = () => undefined,
    private onError: (error: unknown) => void = () => undefined
  ) {
    this.pageSize = pageSize;
  }

  /** Rows per request; changing it drops the loaded pages. */
  get pageSize(): number {
    return this._pageSize;
  }
  set pageSize(size: number) {
    if (!(size >= 1)) {
      throw new Error(`page size must be at least 1, got ${size}`);
    }
    this._pageSize = Math.floor(size);
    this.reset();
  }

  /** The total number of rows, or -1 before the first page arrived. */
  get total(): number {
    return this._total;
  }

  /** Pages requested so far (for tests and diagnostics). */
  get requests(): number {
    return this._requests;
  }

  /** The row at `index`, or undefined while its page is not loaded. */
  get(index: number): T | undefined {
    const page = this._pages.get(Math.floor(index / this._pageSize));
    return page?.rows[index % this._pageSize];
  }

  /** The index of the first loaded row for which `match` is true, or -1. */
  findIndex(match: (row: T) => boolean): number {
    for (const [p, page] of [...this._pages.entries()].sort((a, b) => a[0] - b[0])) {
      const i = page.rows.findIndex(match);
      if (i >= 0) {
        return p * this._pageSize + i;
      }
    }
    return -1;
  }

  /** Whether every row in [start, end) is loaded and current. */
  isLoaded(start: number, end: number): boolean {
    return this._missingPages(start, end).length === 0;
  }

  /** Fetch the pages covering rows [start, end) that are missing or stale. */
  ensure(start: number, end: number): Promise<void> {
    const generation = this._generation;
    const waits: Promise<void>[] = [];
    for (const p of this._missingPages(start, end)) {
      let inflight = this._inflight.get(p);
      if (!inflight) {
        inflight = this._fetchPage(p, generation);
        this._inflight.set(p, inflight);
      }
      waits.push(inflight);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** The data changed on the server: refetch lazily, keeping the old rows until then. */
  refresh(): void {
    this._generation++;
    this._inflight.clear();
  }

  /** Another query: forget every row. */
  reset(): void {
    this._generation++;
    this._inflight.clear();
    this._pages.clear();
    this._total = -1;
  }

  private _missingPages(start: number, end: number): number[] {
    // A total from before a refresh is stale (the list may have grown): ignore it then.
    const known = this._total >= 0 && this._totalGeneration === this._generation;
    const last = known ? Math.min(end, this._total) : end;
    const pages: number[] = [];
    if (last <= start && known) {
      return pages;
    }
    const first = Math.floor(Math.max(0, start) / this._pageSize);
    const stop = Math.floor((Math.max(last, start + 1) - 1) / this._pageSize);
    for (let p = first; p <= stop; p++) {
      const page = this._pages.get(p);
      if (!page || page.generation !== this._generation) {
        pages.push(p);
      }
    }
    return pages;
  }

  private async _fetchPage(p: number, generation: number): Promise<void> {
    this._requests++;
    try {
      const result = await this.fetcher(p * this._pageSize, this._pageSize);
      if (generation !== this._generation) {
        return; // an answer to an older query or refresh
      }
      this._total = result.total;
      this._totalGeneration = generation;
      this._pages.set(p, { rows: result.rows, generation });
      // pages past the new end are gone
      const lastPage = Math.floor(Math.max(result.total - 1, 0) / this._pageSize);
      for (const key of [...this._pages.keys()]) {
        if (key > lastPage) {
          this._pages.delete(key);
        }
      }
      this.onChange();
    } catch (error) {
      if (generation === this._generation) {
        this.onError(error);
      }
    } finally {
      if (this._inflight.get(p) && generation === this._generation) {
        this._inflight.delete(p);
      }
    }
  }

  private _pageSize = 200;
  private _total = -1;
  private _totalGeneration = -1;
  private _generation = 0;
  private _requests = 0;
  private _pages = new Map<number, IPage<T>>();
  private _inflight = new Map<number, Promise<void>>();
}
