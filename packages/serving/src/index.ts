export * from "./types.ts";
export { createModelRuntime } from "./runtime.ts";
export { parseScoringRequest, type ParsedInput, type ParsedRequest } from "./parse-request.ts";
export { noOnnxFlavorMessage, SESSION_OPTIONS } from "./onnx-session.ts";
