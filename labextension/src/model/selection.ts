/**
 * Which runs are selected in the list: click, shift-click (range from the anchor),
 * ctrl/cmd-click (toggle), Space (toggle the focused row). Pure.
 *
 * The selection holds run ids, not row indices: a refresh that inserts new runs at the top,
 * or opening a comparison, leaves it as it was.
 */
export interface IClickModifiers {
  /** shift: select the range from the anchor */
  shift?: boolean;
  /** ctrl (cmd on macOS): toggle one row, or add a range to the selection */
  toggle?: boolean;
}

/** How the selection reads the list (rows may be fetched lazily: unknown ids are skipped). */
export interface IRowLookup {
  idAt(index: number): string | undefined;
  indexOf(id: string): number;
}

export class RunSelection {
  /** The selected ids, in the order they were selected. */
  get ids(): string[] {
    return [...this._ids];
  }

  get size(): number {
    return this._ids.size;
  }

  /** The id a shift-click extends from. */
  get anchor(): string | null {
    return this._anchor;
  }

  has(id: string): boolean {
    return this._ids.has(id);
  }

  /** A click on the row `index` (run `id`); returns whether the selection changed. */
  click(index: number, id: string, mods: IClickModifiers, rows: IRowLookup): boolean {
    const before = this._key();
    const anchorIndex = this._anchor === null ? -1 : rows.indexOf(this._anchor);
    if (mods.shift && anchorIndex >= 0) {
      const range: string[] = [];
      const [lo, hi] =
        anchorIndex <= index ? [anchorIndex, index] : [index, anchorIndex];
      for (let i = lo; i <= hi; i++) {
        const rid = i === index ? id : rows.idAt(i);
        if (rid !== undefined) {
          range.push(rid);
        }
      }
      if (!mods.toggle) {
        this._ids.clear();
      }
      for (const rid of range) {
        this._ids.add(rid);
      }
      // the anchor stays: shift-clicks extend from the same row
    } else if (mods.toggle) {
      this.toggle(id);
      this._anchor = id;
    } else {
      this._ids.clear();
      this._ids.add(id);
      this._anchor = id;
    }
    return this._key() !== before;
  }

  /** Toggle one run (ctrl-click, Space). */
  toggle(id: string): void {
    if (this._ids.has(id)) {
      this._ids.delete(id);
    } else {
      this._ids.add(id);
    }
    this._anchor = id;
  }

  /** Select exactly these ids. */
  set(ids: Iterable<string>): void {
    this._ids = new Set(ids);
    this._anchor = this._ids.size ? [...this._ids][this._ids.size - 1] : null;
  }

  clear(): void {
    this._ids.clear();
    this._anchor = null;
  }

  private _key(): string {
    return [...this._ids].join(',');
  }

  private _ids = new Set<string>();
  private _anchor: string | null = null;
}

/**
 * The row focused after a navigation key, or null for other keys. `pageRows` is how many
 * rows a PageUp/PageDown moves.
 */
export function nextFocus(
  key: string,
  current: number,
  total: number,
  pageRows = 10
): number | null {
  if (total <= 0) {
    return null;
  }
  const clamp = (i: number) => Math.max(0, Math.min(total - 1, i));
  const from = current < 0 ? -1 : current;
  switch (key) {
    case 'ArrowDown':
      return clamp(from + 1);
    case 'ArrowUp':
      return clamp(from < 0 ? 0 : from - 1);
    case 'Home':
      return 0;
    case 'End':
      return total - 1;
    case 'PageDown':
      return clamp(from + pageRows);
    case 'PageUp':
      return clamp(from - pageRows);
    default:
      return null;
  }
}
