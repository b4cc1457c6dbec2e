// Experiment tracking: experiments, runs, params, metrics, tags, datasets, search, permissions.
export * from "./types.ts";
export * from "./search/index.ts";
