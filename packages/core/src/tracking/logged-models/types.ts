import type { MetricView, TagView } from "../types.ts";

// MLflow 3's LoggedModel as it travels on the wire (service.proto LoggedModel / LoggedModelInfo /
// LoggedModelData): the REST plane sends these objects as they are; the portal reads the same.

export const LOGGED_MODEL_STATUSES = ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"] as const;
export type LoggedModelStatusName = (typeof LOGGED_MODEL_STATUSES)[number];

/** Database status → wire name. */
export const STATUS_TO_WIRE: Record<string, LoggedModelStatusName> = {
  PENDING: "LOGGED_MODEL_PENDING",
  READY: "LOGGED_MODEL_READY",
  UPLOAD_FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
};

/** A metric as MLflow 3 writes it: with the run, and the model and dataset when it has them. */
export interface LinkedMetricView extends MetricView {
  run_id?: string;
}

export interface LoggedModelRegistrationView {
  name: string;
  version: string;
}

export interface LoggedModelInfoView {
  model_id: string;
  experiment_id: string;
  name: string;
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
  artifact_uri: string;
  status: LoggedModelStatusName;
  /** "" when unset (MLflow's server writes them so). */
  model_type: string;
  source_run_id: string;
  /** Omitted when empty. */
  status_message?: string;
  tags?: TagView[];
  /** The registered versions made from this model (those the caller may read). */
  registrations?: LoggedModelRegistrationView[];
}

export interface LoggedModelView {
  info: LoggedModelInfoView;
  data: { params?: TagView[]; metrics?: LinkedMetricView[] };
}

/** A run's outputs (models it produced) and model inputs, as runs/get shows them. */
export interface ModelOutputView {
  model_id: string;
  step: number;
}
