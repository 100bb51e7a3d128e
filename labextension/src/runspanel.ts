import {
  SidePanel,
  ToolbarButton,
  WindowedList,
  WindowedListModel,
  refreshIcon
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { ApiError, requestAPI } from './api';
import {
  el,
  formatNumber,
  fullTime,
  relativeTime,
  runLabel,
  statusBadge,
  value
} from './format';
import { compareIcon, runsIcon } from './icons';
import { describeFilterError, describeOrderError } from './model/filtererror';
import { PagedRows } from './model/paging';
import { ChangePoller } from './model/poller';
import { IRowLookup, RunSelection, nextFocus } from './model/selection';
import {
  IColumn,
  ISort,
  columnText,
  nextSort,
  orderText,
  sameColumn
} from './model/sorting';
import { IColumns, IExperiment, IRunRow, IRunsPage, IStatus, IStore } from './types';

export const ROW_HEIGHT = 28;

export interface IRunsSettings {
  pollInterval: number;
  pageSize: number;
  defaultStore: string;
}

/** What the panel asks the application to do (commands live in index.ts). */
export interface IRunsActions {
  openRun(store: string | null, runId: string): void;
  compare(store: string | null, ids: string[]): void;
}

/** One row of the windowed list; its content is drawn from the panel's data when shown. */
class RunRowWidget extends Widget {
  /** what the row's cells show (to skip rebuilding them when nothing changed) */
  contentKey = '';

  constructor(
    readonly index: number,
    private panel: RunsPanel
  ) {
    super();
    this.addClass('mj-RunRow');
    this.node.setAttribute('role', 'option');
    this.node.id = `${panel.id}-row-${index}`;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.panel.renderRow(this);
    this.panel.rowShown(this.index);
  }
}

class RunsListModel extends WindowedListModel {
  constructor(private panel: RunsPanel) {
    super({ count: 0, overscanCount: 5 });
  }

  estimateWidgetSize = (): number => ROW_HEIGHT;

  widgetRenderer = (index: number): Widget => this.panel.rowWidget(index);
}

/**
 * The "Runs" sidebar: store and experiment pickers, a filter box (mj.runs language, errors
 * inline with a caret), a virtualised runs list paged from GET runs, column sort, selection,
 * and a live refresh that polls GET status only while the panel is visible.
 */
export class RunsPanel extends SidePanel {
  constructor(
    private actions: IRunsActions,
    settings: IRunsSettings
  ) {
    super({ content: new Panel() });
    this.id = 'mlops-runs-panel';
    this.addClass('mj-RunsPanel');
    this.title.icon = runsIcon;
    this.title.caption = 'Runs (mlops-jupyter)';
    this._settings = { ...settings };

    const heading = new Widget({
      node: el('h2', { class: 'jp-text-truncated' }, 'Runs')
    });
    this.header.addWidget(heading);

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh the runs',
        onClick: () => this.refresh(true)
      })
    );
    this._compareButton = new ToolbarButton({
      icon: compareIcon,
      label: 'Compare',
      tooltip:
        'Compare the selected runs (select 2 or more: click, shift-click, ctrl-click)',
      enabled: false,
      onClick: () => this.compareSelected()
    });
    this.toolbar.addItem('compare', this._compareButton);

    this._rows = new PagedRows<IRunRow>(
      (offset, limit) => this._fetchPage(offset, limit),
      this._settings.pageSize,
      () => this._onRowsChanged(),
      error => this._onRowsError(error)
    );
    this._poller = new ChangePoller(
      async () => {
        if (this._store === null) {
          // no store yet: watch for the first one (a %%track in any notebook creates it)
          const { stores } = await requestAPI<{ stores: IStore[] }>('stores');
          return 'stores:' + stores.map(s => s.id).join('\n');
        }
        return (await requestAPI<IStatus>('status', { store: this._store })).version;
      },
      () => (this._store === null ? void this._loadStores() : this.refresh(false)),
      this._settings.pollInterval
    );

    this._controls = this._buildControls();
    this._headerRow = new Widget({
      node: el('div', { class: 'mj-RunRow mj-RunsHeader' })
    });
    this._headerRow.node.setAttribute('role', 'row');
    this._model = new RunsListModel(this);
    this._list = new WindowedList({ model: this._model });
    this._list.addClass('mj-RunsList');
    const listNode = this._list.node;
    listNode.tabIndex = 0;
    listNode.setAttribute('role', 'listbox');
    listNode.setAttribute('aria-multiselectable', 'true');
    listNode.setAttribute('aria-label', 'Runs');
    listNode.addEventListener('click', this);
    listNode.addEventListener('dblclick', this);
    listNode.addEventListener('keydown', this);
    listNode.addEventListener('mousedown', this);
    this._footer = new Widget({
      node: el('div', { class: 'mj-RunsFooter', 'aria-live': 'polite' })
    });

    const content = this.content;
    content.addClass('mj-RunsContent');
    content.addWidget(this._controls);
    content.addWidget(this._headerRow);
    content.addWidget(this._list);
    content.addWidget(this._footer);
    this._renderHeader();
    this._renderFooter();
  }

  /** Emitted when the selection changes (ids in selection order). */
  get selectionChanged(): Signal<this, string[]> {
    return this._selectionChanged;
  }

  get selection(): RunSelection {
    return this._selection;
  }

  get store(): string | null {
    return this._store;
  }

  updateSettings(settings: IRunsSettings): void {
    const pageChanged = settings.pageSize !== this._settings.pageSize;
    this._settings = { ...settings };
    this._poller.interval = Math.max(200, settings.pollInterval);
    if (pageChanged) {
      this._rows.pageSize = Math.max(10, settings.pageSize);
      this._loadFirstPage();
    }
  }

  /** Refetch what is shown; `full` also reloads the stores and experiments. */
  refresh(full: boolean): void {
    if (full) {
      void this._loadStores();
      return;
    }
    void this._loadExperiments();
    this._rows.refresh();
    this._ensureVisible();
  }

  compareSelected(): void {
    if (this._selection.size >= 2) {
      this.actions.compare(this._store, this._selection.ids);
    }
  }

  // -- windowed list callbacks -----------------------------------------------------------
  rowWidget(index: number): RunRowWidget {
    let widget = this._rowCache.get(index);
    if (!widget) {
      widget = new RunRowWidget(index, this);
      this._rowCache.set(index, widget);
      if (this._rowCache.size > 3000) {
        this._evictRows();
      }
    }
    return widget;
  }

  rowShown(index: number): void {
    // every newly shown row: fetch what is on screen, and prefetch the neighbouring page
    this._ensureVisible();
  }

  renderRow(widget: RunRowWidget): void {
    const node = widget.node;
    const run = this._rows.get(widget.index);
    node.classList.toggle('mj-mod-focused', widget.index === this._focus);
    if (!run) {
      node.replaceChildren(el('span', { class: 'mj-RunRow-loading' }, 'loading…'));
      widget.contentKey = '';
      node.classList.add('mj-mod-loading');
      node.classList.remove('mj-mod-selected');
      node.setAttribute('aria-selected', 'false');
      delete node.dataset.runId;
      return;
    }
    node.classList.remove('mj-mod-loading');
    const selected = this._selection.has(run.run_id);
    node.classList.toggle('mj-mod-selected', selected);
    node.setAttribute('aria-selected', String(selected));
    node.dataset.runId = run.run_id;
    // Only rebuild the cells when they change: replacing the node under the pointer
    // between the two clicks of a double-click would cancel the double-click.
    const cellValue = this._cellValue(run);
    const time = relativeTime(run.start_time);
    const key = JSON.stringify([run.run_id, run.status, run.name, cellValue]);
    if (key === widget.contentKey) {
      const cell = node.querySelector('.mj-RunRow-time');
      if (cell && cell.textContent !== time) {
        cell.textContent = time; // a text node changes, not the element under the pointer
      }
      return;
    }
    widget.contentKey = key;
    const metricText = Object.entries(run.metrics)
      .map(([k, m]) => `${k} = ${formatNumber(m.latest)}`)
      .join('\n');
    const paramText = Object.entries(run.params)
      .map(([k, v]) => `${k} = ${value(v)}`)
      .join('\n');
    node.title =
      `${runLabel(run)} (${run.run_id.slice(0, 8)}) · ${run.status}\n` +
      (run.notebook_path ? `${run.notebook_path}\n` : '') +
      (paramText ? `\nparams:\n${paramText}\n` : '') +
      (metricText ? `\nmetrics:\n${metricText}` : '');
    node.replaceChildren(
      el('span', { class: 'mj-RunRow-status' }, statusBadge(run.status, true)),
      el('span', { class: 'mj-RunRow-name jp-text-truncated' }, runLabel(run)),
      el('span', { class: 'mj-RunRow-value' }, cellValue),
      el('span', { class: 'mj-RunRow-time', title: fullTime(run.start_time) }, time)
    );
  }

  // -- events ------------------------------------------------------------------------------
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'mousedown':
        if ((event as MouseEvent).shiftKey) {
          event.preventDefault(); // no text selection on shift-click
        }
        break;
      case 'click':
        this._onClick(event as MouseEvent);
        break;
      case 'dblclick':
        this._onDblClick(event as MouseEvent);
        break;
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      default:
        break;
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._started) {
      this._started = true;
      void this._loadStores();
    }
    this._poller.start();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._poller.stop();
  }

  protected onBeforeDetach(msg: Message): void {
    this._poller.stop();
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this._poller.stop();
    super.dispose();
  }

  /** Whether the live refresh is polling (for tests and the status line). */
  get polling(): boolean {
    return this._poller.running;
  }

  // -- private -------------------------------------------------------------------------------
  private _buildControls(): Widget {
    const storeSelect = (this._storeSelect = el('select', {
      class: 'jp-mod-styled mj-Select',
      'aria-label': 'Store'
    }));
    storeSelect.addEventListener('change', () => {
      this._store = storeSelect.value || null;
      this._experiment = '';
      this._poller.forget();
      // the runs query does not wait for the experiments list (all experiments either way)
      this._loadFirstPage();
      void this._loadExperiments();
    });
    const expSelect = (this._experimentSelect = el('select', {
      class: 'jp-mod-styled mj-Select',
      'aria-label': 'Experiment'
    }));
    expSelect.addEventListener('change', () => {
      this._experiment = expSelect.value;
      this._loadFirstPage();
    });
    const columnSelect = (this._columnSelect = el('select', {
      class: 'jp-mod-styled mj-Select',
      'aria-label': 'Value column'
    }));
    columnSelect.addEventListener('change', () => {
      const [kind, ...rest] = columnSelect.value.split(':');
      this._valueColumn = { kind: kind as IColumn['kind'], key: rest.join(':') };
      this._valueColumnChosen = true;
      this._renderHeader();
      this._renderVisible();
    });
    const filter = (this._filterInput = el('input', {
      class: 'jp-mod-styled mj-Filter',
      type: 'search',
      placeholder: "Filter: metrics.accuracy > 0.9 and params.model = 'rf'",
      'aria-label': 'Filter runs (mj.runs filter language)',
      spellcheck: 'false'
    }));
    filter.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        this._applyFilter();
      } else if (e.key === 'Escape' && filter.value) {
        filter.value = '';
        this._applyFilter();
        e.stopPropagation();
      } else if (e.key === 'ArrowDown') {
        this._list.node.focus();
        e.preventDefault();
      }
    });
    filter.addEventListener('input', () => {
      if (this._filterTimer) {
        clearTimeout(this._filterTimer);
      }
      this._filterTimer = setTimeout(() => this._applyFilter(), 500);
    });
    this._filterError = el('div', { class: 'mj-FilterError', role: 'alert' });
    this._filterError.hidden = true;
    this._message = el('div', { class: 'mj-PanelMessage', role: 'status' });
    this._message.hidden = true;
    const node = el(
      'div',
      { class: 'mj-RunsControls' },
      el('label', { class: 'mj-Field' }, el('span', {}, 'Store'), storeSelect),
      el('label', { class: 'mj-Field' }, el('span', {}, 'Experiment'), expSelect),
      el('label', { class: 'mj-Field' }, el('span', {}, 'Column'), columnSelect),
      filter,
      this._filterError,
      this._message
    );
    return new Widget({ node });
  }

  private _applyFilter(): void {
    if (this._filterTimer) {
      clearTimeout(this._filterTimer);
      this._filterTimer = null;
    }
    const text = this._filterInput.value.trim();
    if (text === this._filter) {
      return;
    }
    this._filter = text;
    this._loadFirstPage();
  }

  private async _loadStores(): Promise<void> {
    try {
      const { stores } = await requestAPI<{ stores: IStore[] }>('stores');
      const wanted = this._store ?? this._settings.defaultStore;
      const chosen =
        stores.find(s => s.id === wanted) ?? stores.find(s => s.default) ?? stores[0];
      this._store = chosen ? chosen.id : null;
      this._storeSelect.replaceChildren(
        ...stores.map(s =>
          el('option', { value: s.id, title: s.path ?? s.label }, s.label)
        )
      );
      if (!stores.length) {
        this._storeSelect.append(el('option', { value: '' }, 'no store found'));
      }
      this._storeSelect.value = this._store ?? '';
      this._poller.forget();
      if (!stores.length) {
        this._showMessage(
          'No .mlops store under the server root yet: run a cell with %%track ' +
            '(load it with %load_ext mlops_jupyter) and its run appears here.'
        );
        this._rows.reset();
        this._model.widgetCount = 0;
        this._renderFooter('no store');
        return;
      }
      this._showMessage('');
      await this._loadExperiments();
      this._loadFirstPage();
    } catch (error) {
      this._showMessage((error as Error).message, true);
    }
  }

  private async _loadExperiments(): Promise<void> {
    try {
      const { experiments } = await requestAPI<{ experiments: IExperiment[] }>(
        'experiments',
        {
          store: this._store
        }
      );
      const key = JSON.stringify(experiments);
      if (key === this._experimentsKey) {
        return;
      }
      this._experimentsKey = key;
      const total = experiments.reduce((n, e) => n + e.runs, 0);
      this._experimentSelect.replaceChildren(
        el('option', { value: '' }, `All experiments (${total})`),
        ...experiments.map(e =>
          el('option', { value: e.name }, `${e.name} (${e.runs})`)
        )
      );
      if (this._experiment && !experiments.some(e => e.name === this._experiment)) {
        this._experiment = '';
      }
      this._experimentSelect.value = this._experiment;
    } catch (error) {
      this._showMessage((error as Error).message, true);
    }
  }

  /** Another query (store, experiment, filter, sort): from the top of its results. */
  private _loadFirstPage(): void {
    if (this._message.classList.contains('mj-mod-note')) {
      this._showMessage(''); // a note about the previous query
    }
    this._rows.reset();
    this._focus = -1;
    this._list.scrollTo(0);
    this._renderVisible();
    void this._rows.ensure(0, this._rows.pageSize);
    this._ensureVisible();
  }

  private async _fetchPage(offset: number, limit: number) {
    const page = await requestAPI<IRunsPage>('runs', {
      store: this._store,
      experiment: this._experiment,
      filter: this._filter,
      order: orderText(this._sort),
      limit,
      offset
    });
    this._columns = page.columns;
    return { total: page.total, rows: page.runs };
  }

  private _onRowsChanged(): void {
    this._filterError.hidden = true;
    this._filterInput.classList.remove('mj-mod-error');
    if (this._message.classList.contains('mj-mod-error')) {
      this._showMessage('');
    }
    const total = Math.max(0, this._rows.total);
    if (this._model.widgetCount !== total) {
      this._model.widgetCount = total;
    }
    this._updateColumnPicker();
    this._renderVisible();
    this._renderFooter();
    // rows on screen whose page is not loaded (e.g. the view moved while a query ran)
    this._ensureVisible();
  }

  private _onRowsError(error: unknown): void {
    if (error instanceof ApiError && error.kind === 'filter') {
      const view = describeFilterError(this._filter, error.message, error.position);
      this._filterInput.classList.add('mj-mod-error');
      this._filterError.replaceChildren(
        el('div', { class: 'mj-FilterError-message' }, view.message),
        el(
          'pre',
          { class: 'mj-FilterError-text' },
          view.before,
          el('mark', {}, view.at || ' '),
          view.after
        ),
        el('pre', { class: 'mj-FilterError-caret', 'aria-hidden': 'true' }, view.caret)
      );
      this._filterError.hidden = false;
      this._model.widgetCount = 0;
      this._renderFooter('filter error');
      return;
    }
    if (error instanceof ApiError && error.kind === 'order' && this._sort) {
      // the sorted column is not in this store (the sort outlived a store switch):
      // drop the sort, say so, and show the default order
      const note = describeOrderError(columnText(this._sort.column), error.message);
      this._sort = null;
      this._renderHeader();
      this._loadFirstPage();
      this._showMessage(note);
      return;
    }
    this._showMessage((error as Error).message, true);
  }

  private _showMessage(text: string, isError = false): void {
    this._message.textContent = text;
    this._message.hidden = !text;
    this._message.classList.toggle('mj-mod-error', isError && !!text);
    this._message.classList.toggle('mj-mod-note', !isError && !!text);
  }

  private _updateColumnPicker(): void {
    const cols = this._columns;
    const key = JSON.stringify(cols);
    if (key === this._columnsKey) {
      return;
    }
    this._columnsKey = key;
    const options: IColumn[] = [
      ...cols.metrics.map(k => ({ kind: 'metric' as const, key: k })),
      ...cols.params.map(k => ({ kind: 'param' as const, key: k })),
      { kind: 'attr', key: 'duration' }
    ];
    // the first metric, unless the user picked a column that still exists
    if (
      !this._valueColumnChosen ||
      !this._valueColumn ||
      !options.some(o => sameColumn(o, this._valueColumn))
    ) {
      this._valueColumn = options[0];
    }
    this._columnSelect.replaceChildren(
      ...options.map(o =>
        el(
          'option',
          { value: `${o.kind}:${o.key}` },
          o.kind === 'attr'
            ? o.key
            : `${o.kind === 'metric' ? 'metrics' : 'params'}.${o.key}`
        )
      )
    );
    this._columnSelect.value = `${this._valueColumn.kind}:${this._valueColumn.key}`;
    this._renderHeader();
  }

  private _cellValue(run: IRunRow): string {
    const col = this._valueColumn;
    if (!col) {
      return '';
    }
    if (col.kind === 'metric') {
      return formatNumber(run.metrics[col.key]?.latest ?? null);
    }
    if (col.kind === 'param') {
      return value(run.params[col.key]);
    }
    return value((run as any)[col.key]);
  }

  private _renderHeader(): void {
    const node = this._headerRow.node;
    node.replaceChildren();
    const cell = (label: string, column: IColumn, cls: string) => {
      const sorted = this._sort && sameColumn(this._sort.column, column);
      const button = el(
        'button',
        {
          class: `mj-HeaderCell ${cls}${sorted ? ' mj-mod-sorted' : ''}`,
          title: `Sort by ${label}`,
          'aria-sort': sorted ? (this._sort!.desc ? 'descending' : 'ascending') : 'none'
        },
        label,
        sorted ? (this._sort!.desc ? ' ▾' : ' ▴') : ''
      );
      button.addEventListener('click', () => {
        this._sort = nextSort(this._sort, column);
        this._renderHeader();
        this._loadFirstPage();
      });
      return button;
    };
    node.append(
      el('span', { class: 'mj-RunRow-status' }),
      cell('Run', { kind: 'attr', key: 'run_name' }, 'mj-RunRow-name'),
      this._valueColumn
        ? cell(this._valueColumn.key, this._valueColumn, 'mj-RunRow-value')
        : el('span', { class: 'mj-RunRow-value' }),
      cell('Started', { kind: 'attr', key: 'start_time' }, 'mj-RunRow-time')
    );
  }

  private _renderFooter(note = ''): void {
    const total = this._rows.total;
    const parts = [
      total < 0
        ? note
          ? ''
          : 'loading…'
        : `${total.toLocaleString()} run${total === 1 ? '' : 's'}`,
      this._selection.size ? `${this._selection.size} selected` : '',
      note
    ].filter(Boolean);
    this._footer.node.textContent = parts.join(' · ');
    this._compareButton.enabled = this._selection.size >= 2;
  }

  private _renderVisible(): void {
    for (const widget of this._rowCache.values()) {
      if (widget.isAttached) {
        this.renderRow(widget);
      }
    }
  }

  private _ensureVisible(): void {
    if (this._ensureScheduled) {
      return;
    }
    this._ensureScheduled = true;
    requestAnimationFrame(() => {
      this._ensureScheduled = false;
      const shown = [...this._rowCache.values()]
        .filter(w => w.isAttached)
        .map(w => w.index);
      if (!shown.length) {
        void this._rows.ensure(0, this._rows.pageSize);
        return;
      }
      // half a page ahead in both directions: a steady scroll rarely shows "loading…"
      const ahead = Math.floor(this._rows.pageSize / 2);
      void this._rows.ensure(
        Math.max(0, Math.min(...shown) - ahead),
        Math.max(...shown) + 1 + ahead
      );
    });
  }

  private _evictRows(): void {
    for (const [index, widget] of this._rowCache) {
      if (!widget.isAttached && this._rowCache.size > 1000) {
        this._rowCache.delete(index);
        widget.dispose();
      }
    }
  }

  private _lookup(): IRowLookup {
    return {
      idAt: i => this._rows.get(i)?.run_id,
      indexOf: id => this._rows.findIndex(r => r.run_id === id)
    };
  }

  private _rowIndexOf(event: Event): number {
    const row = (event.target as HTMLElement).closest(
      '.mj-RunRow'
    ) as HTMLElement | null;
    const index = row?.dataset.windowedListIndex;
    return index === undefined ? -1 : Number(index);
  }

  private _onClick(event: MouseEvent): void {
    const index = this._rowIndexOf(event);
    const run = index >= 0 ? this._rows.get(index) : undefined;
    if (!run) {
      return;
    }
    this._selection.click(
      index,
      run.run_id,
      { shift: event.shiftKey, toggle: event.ctrlKey || event.metaKey },
      this._lookup()
    );
    this._setFocus(index, false);
    this._selectionUpdated();
  }

  private _onDblClick(event: MouseEvent): void {
    const index = this._rowIndexOf(event);
    const run = index >= 0 ? this._rows.get(index) : undefined;
    if (run) {
      this.actions.openRun(this._store, run.run_id);
    }
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const total = Math.max(0, this._rows.total);
    const pageRows = Math.max(
      1,
      Math.floor(this._list.node.clientHeight / ROW_HEIGHT) - 1
    );
    const next = nextFocus(event.key, this._focus, total, pageRows);
    if (next !== null) {
      event.preventDefault();
      event.stopPropagation();
      this._setFocus(next, true);
      const run = this._rows.get(next);
      if (run && event.shiftKey) {
        this._selection.click(next, run.run_id, { shift: true }, this._lookup());
        this._selectionUpdated();
      }
      return;
    }
    const run = this._focus >= 0 ? this._rows.get(this._focus) : undefined;
    if (event.key === ' ' && run) {
      event.preventDefault();
      event.stopPropagation();
      this._selection.toggle(run.run_id);
      this._selectionUpdated();
    } else if (event.key === 'Enter' && run) {
      event.preventDefault();
      event.stopPropagation();
      this.actions.openRun(this._store, run.run_id);
    } else if (event.key === 'Escape' && this._selection.size) {
      this._selection.clear();
      this._selectionUpdated();
    }
  }

  private _setFocus(index: number, scroll: boolean): void {
    this._focus = index;
    this._list.node.setAttribute('aria-activedescendant', `${this.id}-row-${index}`);
    if (scroll) {
      void this._list.scrollToItem(index, 'auto').then(() => this._renderVisible());
    }
    this._renderVisible();
  }

  private _selectionUpdated(): void {
    this._renderVisible();
    this._renderFooter();
    this._selectionChanged.emit(this._selection.ids);
  }

  private _settings: IRunsSettings;
  private _rows: PagedRows<IRunRow>;
  private _poller: ChangePoller;
  private _selection = new RunSelection();
  private _selectionChanged = new Signal<this, string[]>(this);
  private _model: RunsListModel;
  private _list: WindowedList;
  private _controls: Widget;
  private _headerRow: Widget;
  private _footer: Widget;
  private _compareButton: ToolbarButton;
  private _storeSelect!: HTMLSelectElement;
  private _experimentSelect!: HTMLSelectElement;
  private _columnSelect!: HTMLSelectElement;
  private _filterInput!: HTMLInputElement;
  private _filterError!: HTMLElement;
  private _message!: HTMLElement;
  private _filterTimer: ReturnType<typeof setTimeout> | null = null;
  private _rowCache = new Map<number, RunRowWidget>();
  private _store: string | null = null;
  private _experiment = '';
  private _experimentsKey = '';
  private _filter = '';
  private _sort: ISort | null = null;
  private _columns: IColumns = { params: [], metrics: [] };
  private _columnsKey = '';
  private _valueColumn: IColumn | null = null;
  private _valueColumnChosen = false;
  private _focus = -1;
  private _started = false;
  private _ensureScheduled = false;
}
