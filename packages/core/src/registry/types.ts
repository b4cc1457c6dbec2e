import type { MlmodelView } from "./mlmodel.ts";

// The registry's wire shapes (model_registry.proto, JSON field names). Versions are strings on the
// wire; timestamps epoch ms; empty repeated fields are dropped by the REST edge.

export const MODEL_PERMISSION_LEVELS = ["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE"] as const;
export type ModelPermissionLevel = (typeof MODEL_PERMISSION_LEVELS)[number];

export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
export type Stage = (typeof STAGES)[number];

/** The tag that marks a registered model and its versions as a prompt (MLflow 3's prompt registry). */
export const PROMPT_TAG = "mlflow.prompt.is_prompt";

export type ModelVersionStatus = "PENDING_REGISTRATION" | "FAILED_REGISTRATION" | "READY";

export interface RegistryTagView {
  key: string;
  value: string;
}

export interface ModelVersionView {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  current_stage: Stage;
  description: string;
  source: string;
  run_id: string;
  status: ModelVersionStatus;
  status_message: string;
  tags?: RegistryTagView[];
  run_link: string;
  aliases?: string[];
  /** MLflow 3: the logged model the version was registered from. */
  model_id?: string;
}

export interface RegisteredModelView {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  latest_versions?: ModelVersionView[];
  tags?: RegistryTagView[];
  aliases?: { alias: string; version: string }[];
}

/** What the portal shows beyond the wire shape. */
export interface ModelVersionDetail extends ModelVersionView {
  storage_location: string;
  mlmodel: MlmodelView | null;
  input_example: unknown;
  /** The source run's experiment, when the run is known and readable (for links). */
  experiment_id: string | null;
}

/** A model as the write paths hold it: its id, name, owner and the actor's level on it. */
export interface ModelRef {
  id: number;
  name: string;
  ownerId: string | null;
  level: ModelPermissionLevel;
}

/** A live version with its model (loaded, and usually locked, by loadVersion). */
export interface VersionRef {
  pk: bigint;
  version: number;
  model: ModelRef;
  stage: Stage;
  storageLocation: string;
}
