// The REST contract of /mlops/api/ (docs: LABAPI, mlops_jupyter/server/). Types only.

export type RunStatus = 'FINISHED' | 'RUNNING' | 'FAILED' | 'KILLED' | string;

export interface IMetricSummary {
  latest: number | null;
  min: number | null;
  max: number | null;
  steps: number;
}

export interface IRunRow {
  run_id: string;
  name: string | null;
  experiment: string;
  status: RunStatus;
  start_time: string | null;
  end_time: string | null;
  duration: number | null;
  notebook_path: string | null;
  cell_id: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, IMetricSummary>;
  tags: Record<string, unknown>;
  models: string[];
  parent_run_id?: string | null;
}

export interface IColumns {
  params: string[];
  metrics: string[];
}

export interface IRunsPage {
  total: number;
  offset: number;
  limit: number;
  columns: IColumns;
  runs: IRunRow[];
}

export interface IStore {
  id: string;
  label: string;
  path: string | null;
  source: string;
  default: boolean;
}

export interface IExperiment {
  name: string;
  runs: number;
}

export interface IStatus {
  version: string;
  runs: number;
}

export type HistoryPoint = [number, number, string?];

export interface IInput {
  name: string;
  version: number | null;
  role: string | null;
  fingerprint: string | null;
  rows: number | null;
  columns: number | null;
}

export interface IRunDetail extends IRunRow {
  metric_history: Record<string, HistoryPoint[]>;
  code: string | null;
  code_slice: string[] | null;
  execution_count: number | null;
  inputs: IInput[];
  artifacts: { name: string; kind: string }[];
  environment: { python?: string; packages?: Record<string, string> } | null;
  error: string | null;
  parent_run_id: string | null;
  git_commit: string | null;
  children?: string[];
  warnings?: string[];
}

export interface IDiff {
  a: string;
  b: string;
  params: { key: string; a: unknown; b: unknown }[];
  metrics: { key: string; a: number | null; b: number | null; delta: number | null }[];
  code: string | null;
}

export interface ICompare {
  runs: IRunRow[];
  metric_history: Record<string, Record<string, HistoryPoint[]>>;
  params: { differing: string[]; same: string[] };
  metrics: string[];
  diff: IDiff | null;
}

export interface IExportResult {
  path: string;
  absolute_path: string;
  archive: string | null;
  files: string[];
  serve_command: string;
  version: { version: number; stage: string | null; run_id: string } | null;
  parity: Record<string, unknown> | null;
}
