import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import type { Target } from "./policy.ts";

// Closing approval requests: the one place a request leaves OPEN. Its `open_key` is cleared with
// it, so a new request for the same (version, target) may be made.

export type ApprovalStatus = "OPEN" | "APPROVED" | "REJECTED" | "CANCELLED" | "STALE";

/** "<version_pk>/<target>": unique while a request is open. */
export const openKeyOf = (versionPk: bigint, t: Target) => `${versionPk}/${t.kind === "stage" ? `stage:${t.stage}` : `alias:${t.alias}`}`;

export async function closeRequest(tx: Prisma.TransactionClient, r: { id: bigint }, status: Exclude<ApprovalStatus, "OPEN">, reason: string) {
  const now = BigInt(Date.now());
  await tx.approvalRequest.update({ where: { id: r.id }, data: { status, openKey: null, closedAt: now, updatedAt: now, closedReason: reason } });
}

/** A request that can no longer be fulfilled (or already is): closed as STALE and audited. */
export async function closeStale(ctx: Ctx, tx: Prisma.TransactionClient, r: { id: bigint }, reason: string) {
  await closeRequest(tx, r, "STALE", reason);
  await recordAudit(ctx, tx, { action: "approval.stale", resourceType: "approval_request", resourceId: String(r.id), after: { reason } });
}

/** After a direct move: the open request for (version, target), if any, is stale now. */
export async function closeRequestsHeldBy(ctx: Ctx, tx: Prisma.TransactionClient, versionPk: bigint, target: Target, reason: string) {
  const r = await tx.approvalRequest.findUnique({ where: { openKey: openKeyOf(versionPk, target) }, select: { id: true } });
  if (r) await closeStale(ctx, tx, r, reason);
}

/** A version was deleted: its open requests close as stale. */
export async function closeRequestsOfVersion(ctx: Ctx, tx: Prisma.TransactionClient, versionPk: bigint, reason: string) {
  const open = await tx.approvalRequest.findMany({ where: { versionPk, status: "OPEN" }, select: { id: true } });
  for (const r of open) await closeStale(ctx, tx, r, reason);
}
