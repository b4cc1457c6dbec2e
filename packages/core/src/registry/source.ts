import type { Ctx } from "../context.ts";
import { invalid, isDomainError } from "../errors.ts";
import { findRun, type RunRef } from "../tracking/run-access.ts";
import { MLFLOW_ARTIFACTS_SCHEME, artifactStorePath } from "../tracking/artifact-access.ts";
import { validateValue } from "../tracking/validate.ts";
import { registryConfig } from "./config.ts";

// A model version's source, checked and resolved at creation. Accepted: runs:/<run>/<path>,
// models:/<name>/<version|stage|latest> and models:/<name>@<alias>, mlflow-artifacts:/ URIs inside
// a run's artifact root, and s3:// URIs (inside our bucket they are held to the same rule as
// mlflow-artifacts:/; elsewhere the client reads them itself, never this server). Local paths,
// file: URIs, other schemes and relative references in any encoding are refused: MLflow's
// CVE-2023-1177 family came from sources the server would later read files through.

export interface ResolvedSource {
  /** The run the version comes from ("" when none). */
  runId: string;
  /** The resolved location get-download-uri answers. */
  storageLocation: string;
  /** The store path when the files are in our artifact store (for MLmodel and downloads). */
  storePath: string | null;
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
  return exp && /^\d+$/.test(exp) && run && area === "artifacts" ? run : null;
}

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
): Promise<ResolvedSource> {
  validateValue("Source", source);
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
    const storageLocation = path ? `${run.artifactUri.replace(/\/+$/, "")}/${path}` : run.artifactUri;
    const base = artifactStorePath(storageLocation) ?? s3StorePath(storageLocation);
    return { runId: uriRun!, storageLocation, storePath: base === null ? null : storePathOf(source, base) };
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
