// The MLflow wire protocol as the Python client speaks it: JSON bodies on POST, query strings on
// GET (repeated keys for lists), errors as {"error_code","message"}.

export interface Endpoint {
  baseUrl: string;
  token: string;
}

export class MlflowHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(`${path}: HTTP ${status} ${code}: ${message}`);
  }

  /** The route is not there yet (or not at all): Fastify's own 404 has no error_code. */
  get endpointMissing(): boolean {
    return this.status === 404 && (this.code === "ENDPOINT_NOT_FOUND" || this.code === "");
  }
}

type QueryValue = string | number | readonly (string | number)[] | undefined;

function queryString(query: Record<string, QueryValue>): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) qs.append(key, String(v));
  }
  return qs.toString();
}

function headers(ep: Endpoint, json: boolean): Record<string, string> {
  return { authorization: `Bearer ${ep.token}`, ...(json ? { "content-type": "application/json" } : {}) };
}

/** Turns a non-2xx answer into an MlflowHttpError carrying MLflow's error code when there is one. */
export async function errorOf(res: Response, path: string): Promise<MlflowHttpError> {
  const text = await res.text();
  let code = "";
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === "string") code = body.error_code;
    if (typeof body.message === "string") message = body.message;
  } catch {
    /* not JSON: keep the raw text */
  }
  return new MlflowHttpError(res.status, code, message, path);
}

export async function post<T>(ep: Endpoint, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${ep.baseUrl}/api/2.0/mlflow/${path}`, {
    method: "POST",
    headers: headers(ep, true),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res, path);
  return (await res.json()) as T;
}

/** PATCH and DELETE take a JSON body like POST. */
export async function send<T>(ep: Endpoint, method: "PATCH" | "DELETE", path: string, body: unknown): Promise<T> {
  const res = await fetch(`${ep.baseUrl}/api/2.0/mlflow/${path}`, { method, headers: headers(ep, true), body: JSON.stringify(body) });
  if (!res.ok) throw await errorOf(res, path);
  return (await res.json()) as T;
}

/** An artifact upload through the proxy (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`), raw bytes. */
export async function putArtifact(ep: Endpoint, path: string, bytes: string | Buffer): Promise<void> {
  const res = await fetch(`${ep.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: "PUT", headers: headers(ep, false), body: typeof bytes === "string" ? bytes : new Blob([new Uint8Array(bytes)]) });
  if (!res.ok) throw await errorOf(res, `artifacts/${path}`);
  await res.arrayBuffer();
}

export async function get<T>(ep: Endpoint, path: string, query: Record<string, QueryValue>): Promise<T> {
  const res = await fetch(`${ep.baseUrl}/api/2.0/mlflow/${path}?${queryString(query)}`, { headers: headers(ep, false) });
  if (!res.ok) throw await errorOf(res, path);
  return (await res.json()) as T;
}

interface CreatedRun {
  run: { info: { run_id: string } };
}

export async function createExperiment(ep: Endpoint, name: string): Promise<string> {
  const r = await post<{ experiment_id: string }>(ep, "experiments/create", { name });
  return r.experiment_id;
}

export async function createRun(ep: Endpoint, experimentId: string, runName: string, startTime: number): Promise<string> {
  const r = await post<CreatedRun>(ep, "runs/create", { experiment_id: experimentId, run_name: runName, start_time: startTime, tags: [] });
  return r.run.info.run_id;
}
