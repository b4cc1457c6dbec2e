export * from "./types.ts";
export { createModelRuntime, versionKey } from "./runtime.ts";
export { parseScoringRequest, type ParsedInput, type ParsedRequest } from "./parse-request.ts";
export { CsvInputError, CsvRecordReader, csvValue, type CsvProblem } from "./csv.ts";
