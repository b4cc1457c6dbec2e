import type { Ctx } from "../context.ts";
import { denied, invalid, isDomainError } from "../errors.ts";
import { findRun, type RunRef } from "../tracking/run-access.ts";
import { MLFLOW_ARTIFACTS_SCHEME, MODELS_FOLDER, artifactStorePath } from "../tracking/artifact-access.ts";
import { findLoggedModel, type LoggedModelRef } from "../tracking/logged-models/access.ts";
import { validateValue } from "../tracking/validate.ts";
import { registryConfig } from "./config.ts";

// A model version's source, checked and resolved at creation. Accepted: runs:/<run>/<path>,
// models:/<name>/<version|stage|latest>, models:/<name>@<alias> and (MLflow 3) models:/<model_id>,
// mlflow-artifacts:/ URIs inside a run's or a logged model's artifact root, and s3:// URIs (inside our bucket they are held to the same rule as
// mlflow-artifacts:/; elsewhere the client reads them itself, never this server). Local paths,
// file: URIs, other schemes and relative references in any encoding are refused: MLflow's
// CVE-2023-1177 family came from sources the server would later read files through.

export interface ResolvedSource {
  /** The run the version comes from ("" when none). */
  runId: string;
  /** What get-download-uri answers, as MLflow's server does: the source itself, except that a models:/ source is resolved. */
  storageLocation: string;
  /** The store path when the files are in our artifact store (for MLmodel and downloads). */
  storePath: string | null;
  /** The logged model whose files these are (MLflow 3), when any. */
  loggedModel?: { id: string; status: string };
}

/** How a version's source is read: a prompt's versions (tagged mlflow.prompt.is_prompt) have no files. */
export interface SourceOptions {
  isPrompt?: boolean;
  /** CreateModelVersion.model_id (MLflow 3): the logged model being registered. */
  modelId?: string | undefined;
}

const badSource = (source: string) =>
  invalid(
    `Invalid model version source: '${source}'. A source must be a runs:/, models:/, mlflow-artifacts:/ or s3:// URI with an absolute path and no relative path references; local paths and file: URIs are not accepted.`,
  );

/** Fully percent-decodes (as MLflow's unquote_plus loop does) and refuses `.`/`..` segments, backslashes and NUL. */
export function assertNoRelativeReferences(source: string) {
  let s = source;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      throw badSource(source);
    }
    if (next === s) break;
    s = next;
  }
  if (s.includes("\u0000") || s.includes("\\")) throw badSource(source);
  const afterScheme = s.replace(/^[a-z][a-z0-9+.-]*:/i, "");
  if (afterScheme.split("/").some((seg) => seg === ".." || seg === ".")) throw badSource(source);
}

export interface ModelUriRef {
  name: string;
  /** A version number, a stage, "latest", or an alias. */
  ref: { kind: "version"; version: number } | { kind: "stage"; stage: string } | { kind: "latest" } | { kind: "alias"; alias: string };
  subpath: string;
}

/** `models:/name/3`, `models:/name/Production`, `models:/name/latest`, `models:/name@champion` (+ optional sub path). */
export function parseModelsUri(uri: string): ModelUriRef | null {
  const m = /^models:\/(?:\/)?([^/]+)(.*)$/.exec(uri);
  if (!m) return null;
  const head = decodeURIComponent(m[1]!);
  const rest = m[2] ?? "";
  const at = head.lastIndexOf("@");
  if (at > 0) return { name: head.slice(0, at), ref: { kind: "alias", alias: head.slice(at + 1) }, subpath: rest.replace(/^\/+/, "") };
  const parts = rest.replace(/^\/+/, "").split("/");
  const second = parts.shift();
  if (!second) return null;
  const subpath = parts.join("/");
  if (/^\d+$/.test(second)) return { name: head, ref: { kind: "version", version: Number(second) }, subpath };
  if (second.toLowerCase() === "latest") return { name: head, ref: { kind: "latest" }, subpath };
  return { name: head, ref: { kind: "stage", stage: second }, subpath };
}

/**
 * The run a source (or run_id) names, readable by the actor. A missing or unreadable run is a bad
 * parameter (400, nothing written), as every other refused source is; it says no more than a
 * missing run would.
 */
async function sourceRun(ctx: Ctx, runId: string, source: string): Promise<RunRef> {
  try {
    return await findRun(ctx, runId, "READ");
  } catch (e) {
    if (isDomainError(e) && e.code === "RESOURCE_DOES_NOT_EXIST") {
      throw invalid(`Invalid model version source: '${source}'. Run '${runId}' does not exist or is not readable.`);
    }
    throw e;
  }
}

/** `<exp>/<run>/artifacts[/...]` → the run id; anything else is outside every run's artifact root. */
function runOfStorePath(path: string): string | null {
  const [exp, run, area] = path.split("/");
  return exp && /^\d+$/.test(exp) && run && run !== MODELS_FOLDER && area === "artifacts" ? run : null;
}

/** `<exp>/models/<model_id>/artifacts[/...]` → the model id (MLflow 3's logged model layout). */
function loggedModelOfStorePath(path: string): string | null {
  const [exp, folder, id, area] = path.split("/");
  return exp && /^\d+$/.test(exp) && folder === MODELS_FOLDER && id && area === "artifacts" ? id : null;
}

/**
 * The logged model a source names, readable by the actor. A model that exists but sits in an
 * experiment the caller cannot read is refused as such (PERMISSION_DENIED, nothing written); a
 * missing or deleted one is RESOURCE_DOES_NOT_EXIST.
 */
async function sourceLoggedModel(ctx: Ctx, modelId: string): Promise<LoggedModelRef> {
  try {
    return await findLoggedModel(ctx, modelId, "READ");
  } catch (e) {
    if (isDomainError(e) && e.code === "RESOURCE_DOES_NOT_EXIST") {
      const live = await ctx.db.loggedModel.findFirst({ where: { id: modelId, lifecycleStage: "active" }, select: { experimentId: true } });
      if (live) throw denied(`Permission denied: logged model '${modelId}' is in experiment ${live.experimentId}, which you cannot read`);
    }
    throw e;
  }
}

/**
 * A logged model's files as a version's source: its run (unless one was given) and its status go
 * with them. `files` says what get-download-uri answers and where in the store they are.
 */
async function fromLoggedModel(ctx: Ctx, model: LoggedModelRef, source: string, runId: string | undefined, files: { storageLocation: string; storePath: string | null }): Promise<ResolvedSource> {
  if (runId) await sourceRun(ctx, runId, source);
  return { runId: runId || model.sourceRunId, ...files, loggedModel: { id: model.id, status: model.status } };
}

/** `models:/<model_id>`: one path segment and no alias (MLflow's _parse_model_uri). */
export function loggedModelIdOf(uri: string): string | null {
  const m = /^models:\/+([^/@]+)\/?$/.exec(uri);
  return m ? decodeURIComponent(m[1]!) : null;
}

/** A prompt version's placeholder source (the client sends 'dummy-source'): a bare token, never a path or URI. */
const PROMPT_SOURCE = /^[A-Za-z0-9][\w.-]*$/;

/**
 * A path in our artifact store as the store names it (empty segments dropped, so the artifact
 * proxy's normalised paths match it); characters the store refuses (`;`, `#`, `?`, also
 * percent-encoded) make the source unreadable, so it is refused here rather than failing later.
 */
function storePathOf(source: string, raw: string): string {
  if (/[;#?]|%(?:25)*(?:3b|23|3f)/i.test(raw)) throw badSource(source);
  return raw.split("/").filter((seg) => seg !== "").join("/");
}

async function resolveStorePath(ctx: Ctx, source: string, rawStorePath: string, runId: string | undefined): Promise<ResolvedSource> {
  const storePath = storePathOf(source, rawStorePath);
  const pathModel = loggedModelOfStorePath(storePath);
  if (pathModel) {
    const model = await sourceLoggedModel(ctx, pathModel);
    if (String(model.experimentId) !== storePath.split("/")[0]) throw badSource(source);
    return fromLoggedModel(ctx, model, source, runId, { storageLocation: source, storePath });
  }
  const pathRun = runOfStorePath(storePath);
  if (!pathRun) throw badSource(source);
  if (runId && runId !== pathRun) throw invalid(`The source '${source}' is not inside the artifact directory of run '${runId}'.`);
  const run = await sourceRun(ctx, pathRun, source);
  const [exp] = storePath.split("/");
  if (String(run.experimentId) !== exp) throw badSource(source);
  return { runId: run.id, storageLocation: source, storePath };
}

function s3StorePath(source: string): string | null {
  const dest = registryConfig().s3Destination?.replace(/\/+$/, "");
  if (!dest || !(source === dest || source.startsWith(`${dest}/`))) return null;
  return source.slice(dest.length).replace(/^\/+/, "");
}

/**
 * Checks `source` and works out where its files are. `resolveModel` answers models:/ URIs (the
 * versions module owns that lookup).
 */
export async function resolveSource(
  ctx: Ctx,
  source: string,
  runId: string | undefined,
  resolveModel: (ref: ModelUriRef) => Promise<{ storageLocation: string; storePath: string | null }>,
  opts: SourceOptions = {},
): Promise<ResolvedSource> {
  const resolved = await resolveSourceLocation(ctx, source, runId, resolveModel, opts);
  if (opts.modelId && !opts.isPrompt) {
    // model_id names the logged model being registered: the same one the source names, if it names one
    if (resolved.loggedModel && resolved.loggedModel.id !== opts.modelId) {
      throw invalid(`The model_id '${opts.modelId}' does not match the logged model of the source '${source}'.`);
    }
    if (!resolved.loggedModel) {
      const model = await sourceLoggedModel(ctx, opts.modelId);
      return { ...resolved, runId: resolved.runId || model.sourceRunId, loggedModel: { id: model.id, status: model.status } };
    }
  }
  return resolved;
}

async function resolveSourceLocation(
  ctx: Ctx,
  source: string,
  runId: string | undefined,
  resolveModel: (ref: ModelUriRef) => Promise<{ storageLocation: string; storePath: string | null }>,
  opts: SourceOptions,
): Promise<ResolvedSource> {
  validateValue("Source", source);
  if (opts.isPrompt && PROMPT_SOURCE.test(source)) {
    if (runId) await sourceRun(ctx, runId, source);
    return { runId: runId ?? "", storageLocation: source, storePath: null };
  }
  assertNoRelativeReferences(source);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1]?.toLowerCase();

  if (scheme === "runs") {
    const m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(source);
    if (!m) throw badSource(source);
    const [, uriRun, sub = ""] = m;
    if (runId && runId !== uriRun) throw invalid(`The run_id '${runId}' does not match the run of the source '${source}'.`);
    await sourceRun(ctx, uriRun!, source);
    const run = await ctx.db.run.findUniqueOrThrow({ where: { id: uriRun! }, select: { artifactUri: true } });
    const path = sub.replace(/\/+$/, "");
    const files = path ? `${run.artifactUri.replace(/\/+$/, "")}/${path}` : run.artifactUri;
    const base = artifactStorePath(files) ?? s3StorePath(files);
    // get-download-uri answers a runs:/ source verbatim, as MLflow's server does: the client resolves it
    return { runId: uriRun!, storageLocation: source, storePath: base === null ? null : storePathOf(source, base) };
  }
  const modelId = scheme === "models" ? loggedModelIdOf(source) : null;
  if (modelId) {
    // get-download-uri answers the model's location, as MLflow's server resolves models:/<model_id>
    const model = await sourceLoggedModel(ctx, modelId);
    const base = artifactStorePath(model.artifactLocation) ?? s3StorePath(model.artifactLocation);
    return fromLoggedModel(ctx, model, source, runId, { storageLocation: model.artifactLocation, storePath: base === null ? null : storePathOf(source, base) });
  }
  if (scheme === "models") {
    const ref = parseModelsUri(source);
    if (!ref) throw badSource(source);
    const target = await resolveModel(ref).catch((e: unknown) => {
      // an unknown or unreadable model is a bad source (400), like an unreadable run
      if (isDomainError(e) && e.code === "RESOURCE_DOES_NOT_EXIST") throw invalid(`Invalid model version source: '${source}'. ${e.message}.`);
      throw e;
    });
    const storageLocation = ref.subpath ? `${target.storageLocation.replace(/\/+$/, "")}/${ref.subpath}` : target.storageLocation;
    const storePath = target.storePath === null ? null : storePathOf(source, ref.subpath ? `${target.storePath}/${ref.subpath}` : target.storePath);
    if (runId) await sourceRun(ctx, runId, source);
    return { runId: runId ?? "", storageLocation, storePath };
  }
  if (source.startsWith(MLFLOW_ARTIFACTS_SCHEME)) {
    return resolveStorePath(ctx, source, artifactStorePath(source)!, runId);
  }
  if (scheme === "s3") {
    if (!/^s3:\/\/[^/]+\/./.test(source)) throw badSource(source);
    const storePath = s3StorePath(source);
    if (storePath !== null) return resolveStorePath(ctx, source, storePath, runId);
    if (runId) await sourceRun(ctx, runId, source);
    return { runId: runId ?? "", storageLocation: source, storePath: null };
  }
  throw badSource(source);
}
