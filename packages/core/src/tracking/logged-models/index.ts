// MLflow 3's logged models: models as entities of an experiment, their metrics, and runs' outputs.
export * from "./types.ts";
export { findLoggedModel, loggedModelNotFound, type LoggedModelRef } from "./access.ts";
export { loadLoggedModelViews } from "./load.ts";
export {
  createLoggedModel,
  getLoggedModel,
  finalizeLoggedModel,
  deleteLoggedModel,
  setLoggedModelTags,
  deleteLoggedModelTag,
  logLoggedModelParams,
  type CreateLoggedModelInput,
} from "./manage.ts";
export { searchLoggedModels, parseLoggedModelFilter, LOGGED_MODELS_MAX_RESULTS, type SearchLoggedModelsInput, type SearchLoggedModelsResult, type LoggedModelOrderBy, type DatasetFilter } from "./search.ts";
export { logOutputs } from "./outputs.ts";
