/**
 * JSON as Python's json.dumps writes it (", " and ": " separators): for values MLflow itself writes
 * and its tooling reads back verbatim (page tokens, the mlflow.modelVersions tag).
 */
export function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(", ")}]`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(", ")}}`;
  return JSON.stringify(v ?? null);
}
