import { Widget } from '@lumino/widgets';

import { requestAPI } from './api';
import { barChart, lineChart, parallelCoordinates, runColor, runDash } from './charts';
import { el, runLabel, statusBadge, value } from './format';
import { bestIndex, metricDirection } from './model/sorting';
import { formatNumber } from './model/scale';
import { ICompare } from './types';

/**
 * The comparison of 2..50 runs in the main area (GET compare): metric bars,
 * param-vs-metric parallel coordinates, metric curves, and for two runs the
 * param/metric/code diff.
 */
export class CompareView extends Widget {
  constructor(
    readonly store: string | null,
    readonly ids: string[],
    private openRun: (store: string | null, id: string) => void
  ) {
    super();
    this.addClass('mj-Compare');
    this.node.tabIndex = -1;
    void this.load();
  }

  async load(): Promise<void> {
    this.node.replaceChildren(
      el('div', { class: 'mj-Loading' }, 'Loading the comparison…')
    );
    try {
      const data = await requestAPI<ICompare>('compare', {
        store: this.store,
        ids: this.ids.join(',')
      });
      this._data = data;
      this.render();
    } catch (error) {
      this.node.replaceChildren(
        el('div', { class: 'mj-Error', role: 'alert' }, (error as Error).message)
      );
    }
  }

  render(): void {
    const data = this._data;
    if (!data) {
      return;
    }
    const runs = data.runs;
    const labels = runs.map(runLabel);
    const node = this.node;
    node.replaceChildren();

    // legend: a colour per run, click opens its detail
    const legend = el('div', { class: 'mj-Legend' });
    runs.forEach((run, i) => {
      const item = el(
        'button',
        { class: 'mj-LegendItem', title: `Open ${labels[i]} (${run.run_id})` },
        el('span', { class: 'mj-Swatch', style: `background: ${runColor(i)}` }),
        statusBadge(run.status),
        labels[i]
      );
      item.addEventListener('click', () => this.openRun(this.store, run.run_id));
      legend.append(item);
    });
    node.append(el('h2', {}, `Comparing ${runs.length} runs`), legend);

    // metric bars
    const metrics = data.metrics;
    const bars = el('div', { class: 'mj-ChartGrid' });
    for (const metric of metrics) {
      const values = runs.map(r => r.metrics[metric]?.latest ?? null);
      const best = bestIndex(values, metricDirection(metric));
      bars.append(
        barChart(
          metric,
          runs.map((_, i) => ({
            label: labels[i],
            value: values[i],
            color: runColor(i),
            best: i === best
          }))
        )
      );
    }
    node.append(
      this._section('Metrics (latest value; ★ best)', metrics.length ? bars : null)
    );

    // parallel coordinates: differing params, then a chosen metric
    if (metrics.length) {
      const pcBox = el('div', { class: 'mj-Parallel' });
      const select = el('select', {
        class: 'jp-mod-styled',
        'aria-label': 'Metric axis'
      });
      for (const m of metrics) {
        select.append(el('option', { value: m }, m));
      }
      select.value =
        this._pcMetric && metrics.includes(this._pcMetric)
          ? this._pcMetric
          : metrics[0];
      const draw = () => {
        this._pcMetric = select.value;
        const axes = [
          ...data.params.differing.map(p => ({
            name: p,
            values: runs.map(r => r.params[p])
          })),
          {
            name: select.value,
            values: runs.map(r => r.metrics[select.value]?.latest ?? null)
          }
        ];
        const chart = parallelCoordinates(
          axes,
          runs.map((r, i) => ({
            label: labels[i],
            color: runColor(i),
            dash: runDash(i)
          })),
          Math.max(420, Math.min(1000, 160 * axes.length))
        );
        pcBox.replaceChildren(chart);
      };
      select.addEventListener('change', draw);
      draw();
      node.append(
        this._section(
          'Params vs metric',
          el(
            'div',
            {},
            el('label', { class: 'mj-Field' }, el('span', {}, 'Metric'), select),
            pcBox
          )
        )
      );
    }

    // curves: metrics with more than one step
    const curves = el('div', { class: 'mj-ChartGrid' });
    for (const metric of metrics) {
      const series = runs.map((r, i) => ({
        label: labels[i],
        color: runColor(i),
        dash: runDash(i),
        points: (data.metric_history[r.run_id]?.[metric] ?? []).map(
          p => [p[0], p[1]] as [number, number]
        )
      }));
      if (series.some(s => s.points.length > 1)) {
        curves.append(lineChart(metric, series));
      }
    }
    if (curves.childElementCount) {
      node.append(this._section('Metric curves', curves));
    }

    // params table (differing first)
    const paramKeys = [...data.params.differing, ...data.params.same];
    if (paramKeys.length) {
      const table = el('table', { class: 'mj-Table' });
      table.append(
        el('tr', {}, el('th', {}, 'param'), ...labels.map(l => el('th', {}, l)))
      );
      for (const key of paramKeys) {
        const differs = data.params.differing.includes(key);
        table.append(
          el(
            'tr',
            { class: differs ? 'mj-mod-differs' : '' },
            el('td', {}, key),
            ...runs.map(r => el('td', {}, value(r.params[key])))
          )
        );
      }
      node.append(this._section('Params (differing first)', table));
    }

    if (data.diff) {
      node.append(this._section('Diff of the two runs', this._diff(data)));
    }
  }

  private _diff(data: ICompare): HTMLElement {
    const diff = data.diff!;
    const name = (id: string) => {
      const run = data.runs.find(r => r.run_id === id);
      return run ? runLabel(run) : id.slice(0, 8);
    };
    const box = el('div', { class: 'mj-Diff' });
    const params = el('table', { class: 'mj-Table' });
    params.append(
      el(
        'tr',
        {},
        el('th', {}, 'param'),
        el('th', {}, name(diff.a)),
        el('th', {}, name(diff.b))
      )
    );
    for (const p of diff.params) {
      params.append(
        el(
          'tr',
          {},
          el('td', {}, p.key),
          el('td', {}, value(p.a)),
          el('td', {}, value(p.b))
        )
      );
    }
    if (!diff.params.length) {
      params.append(
        el('tr', {}, el('td', { colspan: '3' }, 'The params are the same.'))
      );
    }
    const metrics = el('table', { class: 'mj-Table' });
    metrics.append(
      el(
        'tr',
        {},
        el('th', {}, 'metric'),
        el('th', {}, name(diff.a)),
        el('th', {}, name(diff.b)),
        el('th', {}, 'Δ (b − a)')
      )
    );
    for (const m of diff.metrics) {
      const better =
        m.delta === null || m.delta === 0
          ? ''
          : m.delta > 0 === (metricDirection(m.key) === 'max')
            ? 'mj-mod-better'
            : 'mj-mod-worse';
      metrics.append(
        el(
          'tr',
          {},
          el('td', {}, m.key),
          el('td', {}, formatNumber(m.a)),
          el('td', {}, formatNumber(m.b)),
          el(
            'td',
            { class: better },
            m.delta === null ? '' : (m.delta > 0 ? '+' : '') + formatNumber(m.delta)
          )
        )
      );
    }
    box.append(
      el('h4', {}, 'Params'),
      params,
      el('h4', {}, 'Metrics'),
      metrics,
      el('h4', {}, 'Code')
    );
    box.append(codeDiff(diff.code));
    return box;
  }

  private _section(title: string, content: HTMLElement | null): HTMLElement {
    return el(
      'section',
      { class: 'mj-Section' },
      el('h3', {}, title),
      content ?? el('div', { class: 'mj-Muted' }, 'Nothing logged.')
    );
  }

  private _data: ICompare | null = null;
  private _pcMetric: string | null = null;
}

/** A unified diff, each line coloured by its first character. */
export function codeDiff(text: string | null): HTMLElement {
  const pre = el('pre', { class: 'mj-CodeDiff' });
  if (!text) {
    pre.append(
      el('span', { class: 'mj-Muted' }, 'The code is the same (or was not recorded).')
    );
    return pre;
  }
  for (const line of text.split('\n')) {
    const cls =
      line.startsWith('+++') || line.startsWith('---')
        ? 'mj-DiffFile'
        : line.startsWith('@@')
          ? 'mj-DiffHunk'
          : line.startsWith('+')
            ? 'mj-DiffAdd'
            : line.startsWith('-')
              ? 'mj-DiffDel'
              : '';
    pre.append(el('span', { class: cls }, line), '\n');
  }
  return pre;
}
