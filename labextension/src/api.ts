import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answer of /mlops/api/: the server's message plus its optional fields. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, any> = {}
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** "filter" for a filter syntax error (then `position` may be set). */
  get kind(): string | null {
    return typeof this.body.kind === 'string' ? this.body.kind : null;
  }

  get position(): number | null {
    return typeof this.body.position === 'number' ? this.body.position : null;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** GET/POST `{baseUrl}mlops/api/<path>`; XSRF and token handled by ServerConnection. */
export async function requestAPI<T>(
  path: string,
  query: Query = {},
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  const url =
    URLExt.join(settings.baseUrl, 'mlops', 'api', path) + (qs ? `?${qs}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(
      `The Jupyter server did not answer (${(error as Error).message}). Is it still running?`,
      0
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 500) };
    }
  }
  if (!response.ok) {
    const message =
      data?.error ||
      data?.message ||
      (response.status === 404
        ? `${url} was not found: is the mlops_jupyter server extension enabled? ` +
          '(jupyter server extension enable mlops_jupyter, then restart JupyterLab)'
        : `${response.status} ${response.statusText}`);
    throw new ApiError(message, response.status, data ?? {});
  }
  return data as T;
}

export function postAPI<T>(path: string, body: unknown): Promise<T> {
  return requestAPI<T>(path, {}, { method: 'POST', body: JSON.stringify(body) });
}
