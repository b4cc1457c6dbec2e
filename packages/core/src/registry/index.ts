// Model registry: registered models, versions, sources, MLmodel metadata, stages, aliases, history,
// search and per-model permissions.
export * from "./types.ts";
export { configureRegistry, registryConfig, type RegistryConfig, type DefaultModelPermission, type ArtifactReader } from "./config.ts";
export { modelLevelAtLeast, resolveModelLevel, transitionLevel, MODEL_ACTION_LEVEL } from "./access.ts";
export {
  loadModel,
  modelLevel,
  createRegisteredModel,
  getRegisteredModel,
  renameRegisteredModel,
  updateRegisteredModel,
  deleteRegisteredModel,
  setRegisteredModelTag,
  deleteRegisteredModelTag,
  type CreateRegisteredModelInput,
} from "./models.ts";
export {
  loadVersion,
  createModelVersion,
  getModelVersion,
  getModelVersionDetail,
  updateModelVersion,
  deleteModelVersion,
  setModelVersionTag,
  deleteModelVersionTag,
  getModelVersionDownloadUri,
  getLatestVersions,
  resolveModelUri,
  type CreateModelVersionInput,
} from "./versions.ts";
export type { TransitionOptions, TransitionResult } from "./stages.ts";
export { getModelVersionByAlias } from "./aliases.ts";
export { searchRegisteredModels, searchModelVersions, MAX_MODELS_PER_PAGE, MAX_VERSIONS_PER_PAGE, type SearchInput } from "./search.ts";
export { getModelHistory, getModelStateAt, type ModelHistory, type StageEventView, type AliasEventView, type RegistryStateAt } from "./history.ts";
export { listModelPermissions, setModelPermission, myModelAccess, type ModelPermissionView, type ModelAccessView } from "./model-permissions.ts";
export { parseModelsUri, assertNoRelativeReferences, type ModelUriRef } from "./source.ts";
export { parseMlmodel, diffSignatures, specLabel, type MlmodelView, type SignatureView, type SchemaView, type ColumnSpec, type TensorSpec, type ParamSpec, type SignatureDiffRow } from "./mlmodel.ts";
export {
  searchModelsForPortal,
  getModelForPortal,
  listModelVersions,
  suggestModelNames,
  compareModelVersions,
  type PortalModelView,
  type ModelDetail,
  type VersionComparison,
  type VersionSide,
} from "./portal.ts";
