import { Widget } from '@lumino/widgets';

import { requestAPI } from './api';
import { lineChart, runColor } from './charts';
import { el, fullTime, runLabel, statusBadge, value } from './format';
import { formatNumber } from './model/scale';
import { IRunDetail } from './types';

/** Opens a notebook and shows the cell with this id (index.ts provides it). */
export type GoToCell = (notebookPath: string, cellId: string | null) => Promise<void>;

/** One run (GET runs/{id}): params, metrics, cell code, snapshot lineage, "Go to cell". */
export class RunDetailView extends Widget {
  constructor(
    readonly store: string | null,
    readonly runId: string,
    private goToCell: GoToCell
  ) {
    super();
    this.addClass('mj-Detail');
    this.node.tabIndex = -1;
    void this.load();
  }

  get run(): IRunDetail | null {
    return this._run;
  }

  async load(): Promise<void> {
    this.node.replaceChildren(el('div', { class: 'mj-Loading' }, 'Loading the run…'));
    try {
      this._run = await requestAPI<IRunDetail>(
        `runs/${encodeURIComponent(this.runId)}`,
        {
          store: this.store
        }
      );
      this.title.label = `Run ${runLabel(this._run)}`;
      this.render();
    } catch (error) {
      this.node.replaceChildren(
        el('div', { class: 'mj-Error', role: 'alert' }, (error as Error).message)
      );
    }
  }

  render(): void {
    const run = this._run!;
    const node = this.node;
    node.replaceChildren();
    const goto = el(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-accept mj-GoToCell',
        title: run.notebook_path
          ? `Open ${run.notebook_path} at the tracked cell`
          : 'This run was not tracked from a notebook'
      },
      'Go to cell'
    );
    goto.disabled = !run.notebook_path;
    const status = el('span', { class: 'mj-GotoStatus', role: 'status' });
    goto.addEventListener('click', async () => {
      status.textContent = '';
      try {
        await this.goToCell(run.notebook_path!, run.cell_id);
      } catch (error) {
        status.textContent = (error as Error).message;
      }
    });
    node.append(
      el('h2', {}, statusBadge(run.status), ' ', runLabel(run)),
      el(
        'div',
        { class: 'mj-Meta' },
        meta('run id', run.run_id),
        meta('experiment', run.experiment),
        meta('started', fullTime(run.start_time)),
        meta(
          'duration',
          run.duration === null ? '' : `${formatNumber(run.duration)} s`
        ),
        meta('notebook', run.notebook_path ?? ''),
        meta('cell', run.execution_count === null ? '' : `[${run.execution_count}]`),
        meta('models', run.models.join(', ')),
        meta('git commit', run.git_commit ?? '')
      ),
      el('div', { class: 'mj-Actions' }, goto, status)
    );
    if (run.warnings?.length) {
      node.append(
        section('Warnings', el('ul', {}, ...run.warnings.map(w => el('li', {}, w))))
      );
    }
    if (run.error) {
      node.append(section('Error', el('pre', { class: 'mj-Traceback' }, run.error)));
    }
    node.append(
      section('Params', kvTable(Object.entries(run.params), ['param', 'value']))
    );

    const metrics = el('table', { class: 'mj-Table' });
    metrics.append(
      el(
        'tr',
        {},
        ...['metric', 'latest', 'min', 'max', 'steps'].map(h => el('th', {}, h))
      )
    );
    for (const [k, m] of Object.entries(run.metrics)) {
      metrics.append(
        el(
          'tr',
          {},
          el('td', {}, k),
          el('td', {}, formatNumber(m.latest)),
          el('td', {}, formatNumber(m.min)),
          el('td', {}, formatNumber(m.max)),
          el('td', {}, String(m.steps))
        )
      );
    }
    node.append(section('Metrics', Object.keys(run.metrics).length ? metrics : null));
    const curves = el('div', { class: 'mj-ChartGrid' });
    for (const [k, points] of Object.entries(run.metric_history ?? {})) {
      if (points.length > 1) {
        curves.append(
          lineChart(k, [
            {
              label: runLabel(run),
              color: runColor(0),
              dash: '',
              points: points.map(p => [p[0], p[1]])
            }
          ])
        );
      }
    }
    if (curves.childElementCount) {
      node.append(section('Metric curves', curves));
    }

    node.append(
      section('Cell code', run.code ? el('pre', { class: 'mj-Code' }, run.code) : null)
    );

    const inputs = el('table', { class: 'mj-Table' });
    inputs.append(
      el(
        'tr',
        {},
        ...['input', 'version', 'role', 'rows', 'columns', 'fingerprint'].map(h =>
          el('th', {}, h)
        )
      )
    );
    for (const i of run.inputs ?? []) {
      inputs.append(
        el(
          'tr',
          {},
          el('td', {}, i.name),
          el('td', {}, value(i.version)),
          el('td', {}, i.role ?? ''),
          el('td', {}, value(i.rows)),
          el('td', {}, value(i.columns)),
          el('td', { class: 'mj-Mono' }, (i.fingerprint ?? '').slice(0, 16))
        )
      );
    }
    node.append(
      section('Snapshot lineage (inputs)', run.inputs?.length ? inputs : null)
    );
    if (run.artifacts?.length) {
      node.append(
        section(
          'Artifacts',
          kvTable(
            run.artifacts.map(a => [a.name, a.kind]),
            ['artifact', 'kind']
          )
        )
      );
    }
    if (run.environment?.packages) {
      node.append(
        section(
          `Environment (Python ${run.environment.python ?? '?'})`,
          kvTable(Object.entries(run.environment.packages), ['package', 'version'])
        )
      );
    }
  }

  private _run: IRunDetail | null = null;
}

function meta(label: string, text: string): HTMLElement {
  return el(
    'div',
    { class: 'mj-MetaItem' },
    el('span', { class: 'mj-Muted' }, label),
    text || '—'
  );
}

function section(title: string, content: HTMLElement | null): HTMLElement {
  return el(
    'section',
    { class: 'mj-Section' },
    el('h3', {}, title),
    content ?? el('div', { class: 'mj-Muted' }, 'None recorded.')
  );
}

function kvTable(
  rows: [string, unknown][],
  heads: [string, string]
): HTMLElement | null {
  if (!rows.length) {
    return null;
  }
  const table = el('table', { class: 'mj-Table' });
  table.append(el('tr', {}, el('th', {}, heads[0]), el('th', {}, heads[1])));
  for (const [k, v] of rows) {
    table.append(el('tr', {}, el('td', {}, k), el('td', {}, value(v))));
  }
  return table;
}
