import type { ColumnSpec, Stage, TensorSpec } from "@modelgate/core";

// Client-side helpers of the registry views (no runtime import of @modelgate/core).

export const STAGE_ORDER: readonly Stage[] = ["None", "Staging", "Production", "Archived"];

export const stageColor: Record<Stage, string> = {
  None: "gray",
  Staging: "yellow",
  Production: "green",
  Archived: "dark",
};

/** Stages whose transition may archive the versions already there (MLflow's archive_existing_versions). */
export const ARCHIVING_STAGES: readonly Stage[] = ["Staging", "Production"];

export const modelHref = (name: string) => `/models/${encodeURIComponent(name)}`;
export const versionHref = (name: string, version: string | number) => `${modelHref(name)}/versions/${encodeURIComponent(String(version))}`;
export const compareHref = (name: string, left: string, right: string) =>
  `${modelHref(name)}/compare?left=${encodeURIComponent(left)}&right=${encodeURIComponent(right)}`;

/**
 * The models search box: a filter expression is passed through as typed (`tags.team = 'x'`,
 * `name LIKE 'a%'`); plain text is a case-insensitive substring match on the name.
 */
export function modelFilter(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (/=|\blike\b|\btags\./i.test(t)) return t;
  return `name ILIKE '%${t.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}%'`;
}

/** e.g. "double", "long (optional)", "tensor float32 [-1, 4]" (same wording as core's specLabel). */
export function specText(spec: ColumnSpec | TensorSpec): string {
  if (spec.kind === "tensor") return `tensor ${spec.dtype} [${spec.shape.join(", ")}]`;
  const type = typeText(spec.type, spec.detail);
  return spec.required ? type : `${type} (optional)`;
}

function typeText(type: unknown, detail: unknown, depth = 0): string {
  const base = typeof type === "string" ? type : "?";
  if (depth > 8 || detail === undefined || detail === null) return base;
  const inner = (v: unknown): string => {
    if (!v || typeof v !== "object") return "?";
    const o = v as Record<string, unknown>;
    const d = o.type === "array" ? o.items : o.type === "object" ? o.properties : o.type === "map" ? o.values : undefined;
    return typeText(o.type, d, depth + 1);
  };
  if (base === "array" || base === "map") return `${base}<${inner(detail)}>`;
  if (base === "object" && typeof detail === "object") {
    const props = Object.entries(detail as Record<string, unknown>).map(([k, v]) => {
      const optional = v && typeof v === "object" && (v as Record<string, unknown>).required === false ? "?" : "";
      return `${k}${optional}: ${inner(v)}`;
    });
    return `object{${props.join(", ")}}`;
  }
  return base;
}

/** A pandas "split" input example (`{columns, data}`), when it is one. */
export function splitFrame(value: unknown): { columns: string[]; data: unknown[][] } | null {
  if (!value || typeof value !== "object") return null;
  const v = (value as { dataframe_split?: unknown }).dataframe_split ?? value;
  const { columns, data } = v as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || !Array.isArray(data) || !data.every(Array.isArray)) return null;
  return { columns: columns.map(String), data: data as unknown[][] };
}

export const cellText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "null");

