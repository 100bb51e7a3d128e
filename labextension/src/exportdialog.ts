import { Clipboard } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { postAPI, requestAPI } from './api';
import { el, relativeTime, runLabel, statusBadge } from './format';
import { formatNumber } from './model/scale';
import { bestIndex, metricDirection } from './model/sorting';
import { IExportResult, IRunRow, IRunsPage } from './types';

/**
 * The body of the "Export to deploy" dialog: this notebook's runs with a model
 * (GET runs?notebook=&has_model=1), the best by a chosen metric preselected, an optional
 * registry name, Export (POST exports), then the package path, its files and a copyable
 * serve command. Errors stay in the dialog.
 */
export class ExportBody extends Widget {
  constructor(
    readonly notebookPath: string,
    readonly store: string | null
  ) {
    super();
    this.addClass('mj-Export');
    this._status = el('div', {
      class: 'mj-ExportStatus',
      role: 'status',
      'aria-live': 'polite'
    });
    this._list = el('div', {
      class: 'mj-ExportRuns',
      role: 'radiogroup',
      'aria-label': 'Run to export'
    });
    this._metric = el('select', {
      class: 'jp-mod-styled',
      'aria-label': 'Best by metric'
    });
    this._direction = el('select', {
      class: 'jp-mod-styled',
      'aria-label': 'Direction'
    });
    this._direction.append(
      el('option', { value: 'max' }, 'highest'),
      el('option', { value: 'min' }, 'lowest')
    );
    this._name = el('input', {
      class: 'jp-mod-styled',
      type: 'text',
      placeholder: 'optional: register as (e.g. churn)',
      'aria-label': 'Registry name'
    });
    this._button = el(
      'button',
      { class: 'jp-Button jp-mod-styled jp-mod-accept mj-ExportButton' },
      'Export'
    );
    this._button.disabled = true;
    this._button.addEventListener('click', () => void this.export());
    this._result = el('div', { class: 'mj-ExportResult' });
    this._metric.addEventListener('change', () => {
      this._direction.value = metricDirection(this._metric.value);
      this._preselect();
    });
    this._direction.addEventListener('change', () => this._preselect());
    this.node.append(
      el('div', { class: 'mj-Muted' }, `Runs with a model from ${notebookPath}`),
      el(
        'div',
        { class: 'mj-ExportPick' },
        el(
          'label',
          { class: 'mj-Field' },
          el('span', {}, 'Best by'),
          this._metric,
          this._direction
        )
      ),
      this._list,
      el('label', { class: 'mj-Field' }, el('span', {}, 'Registry name'), this._name),
      el('div', { class: 'mj-Actions' }, this._button),
      this._status,
      this._result
    );
    void this.load();
  }

  /** The run id chosen (null until the runs are loaded). */
  get selected(): string | null {
    return this._selected;
  }

  async load(): Promise<void> {
    this._status.textContent = 'Loading runs…';
    try {
      const page = await requestAPI<IRunsPage>('runs', {
        store: this.store,
        notebook: this.notebookPath,
        has_model: 1,
        limit: 500
      });
      this._runs = page.runs;
      this._status.textContent = '';
      if (!page.runs.length) {
        this._list.append(
          el(
            'div',
            { class: 'mj-Muted' },
            'No run of this notebook has a model yet. Track a cell that fits a model ' +
              '(%%track, or mj.log_model), then try again.'
          )
        );
        return;
      }
      const metrics = [...new Set(page.runs.flatMap(r => Object.keys(r.metrics)))];
      this._metric.replaceChildren(...metrics.map(m => el('option', { value: m }, m)));
      if (metrics.length) {
        this._metric.value = metrics[0];
        this._direction.value = metricDirection(metrics[0]);
      }
      this._renderRuns();
      this._preselect();
      // the focus goes to the preselected run (arrow keys then choose another)
      const checked = this._list.querySelector(
        'input:checked'
      ) as HTMLInputElement | null;
      checked?.focus();
    } catch (error) {
      this._error((error as Error).message);
    }
  }

  async export(): Promise<void> {
    if (!this._selected || this._busy) {
      return;
    }
    this._busy = true;
    this._button.disabled = true;
    this._result.replaceChildren();
    this._status.classList.remove('mj-mod-error');
    this._status.textContent =
      'Exporting (checks that the package predicts as the notebook did)…';
    try {
      const body: Record<string, string> = { ref: this._selected };
      if (this.store) {
        body.store = this.store;
      }
      const name = this._name.value.trim();
      if (name) {
        body.register_as = name;
      }
      const result = await postAPI<IExportResult>('exports', body);
      this._status.textContent = '';
      this._showResult(result);
    } catch (error) {
      this._error((error as Error).message);
    } finally {
      this._busy = false;
      this._button.disabled = !this._selected;
      if (!this.node.contains(document.activeElement)) {
        this._button.focus();
      }
    }
  }

  private _showResult(result: IExportResult): void {
    const command = el('code', { class: 'mj-Command' }, result.serve_command);
    const copy = el(
      'button',
      { class: 'jp-Button jp-mod-styled mj-Copy', title: 'Copy the command' },
      'Copy'
    );
    copy.addEventListener('click', () => {
      Clipboard.copyToSystem(result.serve_command);
      copy.textContent = 'Copied';
    });
    const files = el(
      'ul',
      { class: 'mj-Files' },
      ...result.files.map(f => el('li', {}, f))
    );
    this._result.replaceChildren(
      el('div', { class: 'mj-Success' }, 'Exported to ', el('code', {}, result.path)),
      result.version
        ? el('div', {}, `Registered version ${result.version.version}`)
        : el('span'),
      el('div', { class: 'mj-CommandRow' }, command, copy),
      el(
        'details',
        { open: '' },
        el('summary', {}, `${result.files.length} files`),
        files
      )
    );
    copy.focus(); // keeps the focus in the dialog (Escape closes it, Tab moves on)
  }

  private _error(message: string): void {
    this._status.textContent = message;
    this._status.classList.add('mj-mod-error');
    this._status.setAttribute('role', 'alert');
  }

  private _renderRuns(): void {
    this._list.replaceChildren();
    const metric = this._metric.value;
    for (const run of this._runs) {
      const id = `mj-export-${run.run_id}`;
      const radio = el('input', {
        type: 'radio',
        name: 'mj-export-run',
        id,
        value: run.run_id
      });
      radio.addEventListener('change', () => this._choose(run.run_id));
      const v = metric ? run.metrics[metric]?.latest : undefined;
      this._list.append(
        el(
          'label',
          { class: 'mj-ExportRun', for: id, 'data-run-id': run.run_id },
          radio,
          statusBadge(run.status),
          el('span', { class: 'mj-ExportRun-name' }, runLabel(run)),
          el(
            'span',
            { class: 'mj-ExportRun-value' },
            metric && v !== undefined ? `${metric} ${formatNumber(v)}` : ''
          ),
          el('span', { class: 'mj-Muted' }, relativeTime(run.start_time))
        )
      );
    }
  }

  private _preselect(): void {
    this._renderRuns();
    const metric = this._metric.value;
    const eligible = this._runs.map(r => r.status === 'FINISHED');
    const values = this._runs.map((r, i) =>
      eligible[i] ? r.metrics[metric]?.latest : null
    );
    let best = bestIndex(values, this._direction.value as 'min' | 'max');
    if (best < 0) {
      best = eligible.indexOf(true) >= 0 ? eligible.indexOf(true) : 0;
    }
    this._choose(this._runs[best].run_id);
  }

  private _choose(id: string): void {
    this._selected = id;
    for (const input of this._list.querySelectorAll('input[type=radio]')) {
      (input as HTMLInputElement).checked = (input as HTMLInputElement).value === id;
    }
    this._button.disabled = this._busy;
  }

  private _runs: IRunRow[] = [];
  private _selected: string | null = null;
  private _busy = false;
  private _status: HTMLElement;
  private _list: HTMLElement;
  private _metric: HTMLSelectElement;
  private _direction: HTMLSelectElement;
  private _name: HTMLInputElement;
  private _button: HTMLButtonElement;
  private _result: HTMLElement;
}
