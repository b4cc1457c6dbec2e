export { createDataPlaneApp, type DataPlaneAppOptions } from "./app.ts";
export { registerDataPlane, isDataPlanePath, newRequestId, DATA_PLANE_PREFIXES, type DataPlaneOptions } from "./data-plane.ts";
export { sendMlflowError, toMlflowError } from "./errors.ts";
export { replicaReadiness, databaseCheck, type Readiness, type ReadinessCheck, type ReplicaReadinessOptions } from "./readiness.ts";
export { createWorkloadVerifier, type WorkloadVerifier } from "./workload.ts";
