import { Prisma } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";
import { registryConfig } from "./config.ts";
import { MAX_INPUT_EXAMPLE_BYTES, MAX_MLMODEL_BYTES, inputExamplePath, parseInputExample, parseMlmodel, type MlmodelView } from "./mlmodel.ts";
import type { ModelVersionStatus } from "./types.ts";

// What registration learns from a version's files: its MLmodel (flavors, signature, input
// example), or why the registration failed. Read when a version is created, and when the logged
// model a version waits for is finalized.

export interface RegistrationResult {
  status: ModelVersionStatus;
  statusMessage: string;
  mlmodel: (MlmodelView & { input_example?: unknown }) | null;
}

/** Postgres' jsonb cannot hold U+0000: a file with one would fail the insert (a 500), not the registration. */
function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value !== null && typeof value === "object") return Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v));
  return false;
}

/** Reads and parses `<storePath>/MLmodel` (and its input example) when the files are ours. */
export async function readMlmodel(storePath: string | null): Promise<RegistrationResult> {
  const read = registryConfig().readArtifact;
  if (storePath === null || read === null) return { status: "READY", statusMessage: "", mlmodel: null };
  const text = await read(`${storePath}/MLmodel`, MAX_MLMODEL_BYTES + 1);
  if (text === null) return { status: "READY", statusMessage: "", mlmodel: null };
  const parsed = parseMlmodel(text.toString("utf8"));
  if (!parsed.ok) return { status: "FAILED_REGISTRATION", statusMessage: parsed.message.replaceAll("\u0000", "\\0"), mlmodel: null };
  if (hasNul(parsed.mlmodel)) return { status: "FAILED_REGISTRATION", statusMessage: "MLmodel contains a NUL character (U+0000), which cannot be stored", mlmodel: null };
  const examplePath = inputExamplePath(parsed.mlmodel);
  let input_example: unknown;
  if (examplePath) {
    const example = await read(`${storePath}/${examplePath}`, MAX_INPUT_EXAMPLE_BYTES + 1);
    const ex = example === null ? null : parseInputExample(example.toString("utf8"));
    if (ex?.ok && !hasNul(ex.value)) input_example = ex.value;
  }
  return { status: "READY", statusMessage: "", mlmodel: input_example === undefined ? parsed.mlmodel : { ...parsed.mlmodel, input_example } };
}

/**
 * Completes the versions registered from a logged model while it was still uploading
 * (PENDING_REGISTRATION) once the model is finalized: READY reads their MLmodel as a creation
 * would; UPLOAD_FAILED fails them. In one transaction, after the model's status changed.
 */
export async function completePendingRegistrations(tx: DbOrTx, loggedModelId: string, status: "READY" | "UPLOAD_FAILED"): Promise<number> {
  const waiting = await tx.modelVersion.findMany({ where: { loggedModelId, status: "PENDING_REGISTRATION", deletedTimestamp: null }, select: { pk: true, storePath: true } });
  const now = BigInt(Date.now());
  for (const v of waiting) {
    const r: RegistrationResult =
      status === "READY"
        ? await readMlmodel(v.storePath)
        : { status: "FAILED_REGISTRATION", statusMessage: `The files of logged model ${loggedModelId} failed to upload (LOGGED_MODEL_UPLOAD_FAILED).`, mlmodel: null };
    await tx.modelVersion.update({
      where: { pk: v.pk },
      data: { status: r.status, statusMessage: r.statusMessage, mlmodel: r.mlmodel === null ? Prisma.DbNull : (r.mlmodel as unknown as Prisma.InputJsonValue), lastUpdatedTimestamp: now },
    });
  }
  return waiting.length;
}
