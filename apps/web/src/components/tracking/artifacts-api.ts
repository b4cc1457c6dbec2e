// The artifact browser reads the data plane directly with the session cookie (GET /ajax-api),
// as MLflow's own UI does: bytes never pass through the portal's tRPC layer.

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

async function failure(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  return new Error(body?.message ?? `HTTP ${res.status}`);
}

/**
 * Where a browser's files live: a run's artifacts, or (MLflow 3) a logged model's files under
 * `<experiment>/models/<model_id>/artifacts`.
 */
export type ArtifactRoot =
  | { kind: "run"; experimentId: string; runId: string }
  | { kind: "model"; modelId: string };

/** A stable name of the root, for query keys. */
export const rootKey = (root: ArtifactRoot) => (root.kind === "run" ? `run:${root.runId}` : `model:${root.modelId}`);

/** The files of one directory of the root ("" is the root itself), with paths relative to the root. */
export async function listArtifacts(root: ArtifactRoot, path: string): Promise<ArtifactFile[]> {
  const url =
    root.kind === "run"
      ? `/ajax-api/2.0/mlflow/artifacts/list?${new URLSearchParams({ run_id: root.runId, ...(path ? { path } : {}) })}`
      : `/ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(root.modelId)}/artifacts/directories?${new URLSearchParams(path ? { artifact_directory_path: path } : {})}`;
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) throw await failure(res);
  const body = (await res.json()) as { files?: ArtifactFile[] };
  // directories first, then by name, as a file manager lists them
  return (body.files ?? []).sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
}

/**
 * A file's bytes: a run's through the artifact proxy, a logged model's through the model's own
 * files endpoint (which reads from the model's artifact root, wherever its experiment keeps it).
 */
export function artifactUrl(root: ArtifactRoot, path: string): string {
  if (root.kind === "model") {
    return `/ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(root.modelId)}/artifacts/files?${new URLSearchParams({ artifact_file_path: path })}`;
  }
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `/ajax-api/2.0/mlflow-artifacts/artifacts/${encodeURIComponent(root.experimentId)}/${encodeURIComponent(root.runId)}/artifacts/${encoded}`;
}

/** Files above this size are offered for download only: a preview must stay quick. */
export const PREVIEW_LIMIT = 5 * 1024 * 1024;

/** At most `limit` bytes of a file as text, and whether it was cut. */
export async function fetchText(url: string, limit = 1_000_000): Promise<{ text: string; truncated: boolean }> {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) throw await failure(res);
  const buf = await res.arrayBuffer();
  const truncated = buf.byteLength > limit;
  return { text: new TextDecoder().decode(truncated ? buf.slice(0, limit) : buf), truncated };
}

export const baseName = (path: string) => path.slice(path.lastIndexOf("/") + 1);
/** The lower-case extension of a file name ("" when it has none). */
export const extensionOf = (path: string) => {
  const name = baseName(path);
  return name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
};
export const dirName = (path: string) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

type PreviewKind = "image" | "json" | "yaml" | "csv" | "mlmodel" | "text" | "none";

const TEXT_EXT = new Set(["txt", "log", "md", "py", "sh", "ini", "cfg", "toml", "xml", "html", "r", "sql", "js", "ts", "conf", "properties", "requirements", "pip", "out", "err", "ipynb"]);
/** The images a preview shows, by extension, with the type their bytes are shown as. */
export const IMAGE_TYPES: Record<string, string> = { svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", bmp: "image/bmp" };

export function previewKind(path: string): PreviewKind {
  const name = baseName(path);
  if (name === "MLmodel") return "mlmodel";
  const ext = extensionOf(name);
  if (ext in IMAGE_TYPES) return "image";
  if (ext === "json") return "json";
  if (ext === "yaml" || ext === "yml") return "yaml";
  if (ext === "csv" || ext === "tsv") return "csv";
  if (TEXT_EXT.has(ext) || ["Dockerfile", "Makefile", "LICENSE", "README"].includes(name)) return "text";
  return "none";
}
