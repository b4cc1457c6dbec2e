// The tracking domain's views. They use MLflow's names (the proto field names) because MLflow's
// model is the language our users speak; the REST plane serialises them as they are and the portal
// reads the same objects. Times are epoch milliseconds as JS numbers; ids are strings.

export type LifecycleStage = "active" | "deleted";
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";
export const EXPERIMENT_PERMISSION_LEVELS = ["READ", "EDIT", "MANAGE"] as const;
export type PermissionLevel = (typeof EXPERIMENT_PERMISSION_LEVELS)[number];

export interface TagView {
  key: string;
  value: string;
}

export interface ExperimentView {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  last_update_time: number;
  creation_time: number;
  /** Omitted when empty (MLflow omits empty repeated fields). */
  tags?: TagView[];
}

export interface RunInfoView {
  run_id: string;
  /** Deprecated duplicate of run_id, still sent by MLflow. */
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  /** Omitted while the run has not ended. */
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface MetricView {
  key: string;
  /** NaN and ±Infinity are kept; the REST plane writes them as "NaN", "Infinity", "-Infinity". */
  value: number;
  timestamp: number;
  step: number;
  /** MLflow 3: present when the point was logged with a model or dataset. */
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
}

export interface MetricWithRunIdView extends MetricView {
  run_id: string;
}

export interface DatasetView {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInputView {
  tags?: TagView[];
  dataset: DatasetView;
}

export interface RunView {
  info: RunInfoView;
  /** Each list omitted when empty. metrics holds the latest value per key. */
  data: { metrics?: MetricView[]; params?: TagView[]; tags?: TagView[] };
  /** model_inputs (MLflow 3): the logged models the run used. */
  inputs: { dataset_inputs?: DatasetInputView[]; model_inputs?: { model_id: string }[] };
  /** MLflow 3: the models the run produced, at which step. Omitted when none (the 3.x client reads a missing and an empty one alike). */
  outputs?: { model_outputs: { model_id: string; step: number }[] };
}

/** One run's downsampled series for one metric key (portal charts). */
export interface MetricSeriesView {
  run_id: string;
  key: string;
  points: { step: number; timestamp: number; value: number }[];
}
