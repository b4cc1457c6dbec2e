import type { RunView } from "@modelgate/core";
import { PARENT_TAG, tagOf } from "./format";

export interface RunNode {
  run: RunView;
  children: RunNode[];
}

/**
 * Nests loaded runs under their parent (tag mlflow.parentRunId), as MLflow's UI does. A child whose
 * parent is not among the loaded runs stays at the top level, so paging never hides a run.
 */
export function groupByParent(runs: readonly RunView[]): RunNode[] {
  const nodes = new Map<string, RunNode>(runs.map((run) => [run.info.run_id, { run, children: [] }]));
  const roots: RunNode[] = [];
  for (const node of nodes.values()) {
    const parent = nodes.get(tagOf(node.run, PARENT_TAG) ?? "");
    if (parent && parent !== node && !isAncestor(node, parent, nodes)) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Guards against a parent cycle (a → b → a), which would otherwise hide both runs. */
function isAncestor(node: RunNode, candidate: RunNode, nodes: Map<string, RunNode>): boolean {
  let cur: RunNode | undefined = candidate;
  for (let i = 0; cur && i < 100; i++) {
    if (cur === node) return true;
    cur = nodes.get(tagOf(cur.run, PARENT_TAG) ?? "");
  }
  return false;
}
