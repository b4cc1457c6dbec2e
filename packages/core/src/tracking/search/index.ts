// Search: MLflow's filter grammar for runs and experiments, and the searches built on it.
export { parseRunFilter, validateRunFilter, type RunFilterClause, type EntityType, type NumericComparator, type StringComparator } from "./run-filter.ts";
export { parseRunOrderBy, type RunOrderBy, type ExperimentOrderBy } from "./order-by.ts";
export { parseExperimentFilter, parseExperimentOrderByList, type ExperimentFilterClause } from "./experiment-filter.ts";
export { encodePageToken, decodePageToken, MAX_RESULTS_THRESHOLD } from "./page-token.ts";
export { searchRuns, searchRunsWire, countRuns, listRunColumns, DEFAULT_MAX_RESULTS, type SearchRunsInput, type SearchRunsResult, type RunColumns } from "./search-runs.ts";
export { searchExperiments, type SearchExperimentsInput, type SearchExperimentsResult } from "./search-experiments.ts";
