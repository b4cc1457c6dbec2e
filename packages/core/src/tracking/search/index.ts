// Search: the MLflow filter grammar for runs and experiments (see search/README in code).
export {};
