// Experiment tracking: experiments, runs, params, metrics, tags, datasets, search, permissions.
export * from "./types.ts";
export * from "./search/index.ts";
export { configureTracking, trackingConfig, type DefaultExperimentPermission, type TrackingConfig } from "./config.ts";
export { loadRunViews } from "./load-runs.ts";
export {
  experimentLevel,
  requireExperimentLevel,
  readableExperimentsSql,
  levelAtLeast,
  resolveExperimentLevel,
} from "../auth/permissions.ts";
export { setExperimentPermission, listExperimentPermissions, myExperimentAccess, type ExperimentPermissionView, type ExperimentAccessView } from "./experiment-permissions.ts";
export {
  createExperiment,
  getExperiment,
  getExperimentByName,
  updateExperiment,
  deleteExperiment,
  restoreExperiment,
  setExperimentTag,
  deleteExperimentTag,
  toExperimentView,
  type CreateExperimentInput,
} from "./experiments.ts";
export { runWireCacheStats, type RunWireCacheStats } from "./run-wire.ts";
export { createRun, getRun, getRunWire, updateRun, deleteRun, restoreRun, setTag, deleteTag, logModel, LOG_MODEL_HISTORY_TAG, RUN_NAME_TAG, type CreateRunInput, type UpdateRunInput } from "./runs.ts";
export { logBatch, logMetric, logParam, type LogBatchInput, type MetricInput } from "./log-batch.ts";
export { logInputs } from "./log-inputs.ts";
export { getMetricHistory, getMetricHistoryWire, getMetricHistoryBulkInterval, sampleMetricSeries, MAX_HISTORY_PAGE, type BulkIntervalInput } from "./metrics.ts";
export { findRun, type RunRef } from "./run-access.ts";
export { authorizeArtifactPath, artifactStorePath, MLFLOW_ARTIFACTS_SCHEME, MODELS_FOLDER } from "./artifact-access.ts";
export * from "./logged-models/index.ts";
