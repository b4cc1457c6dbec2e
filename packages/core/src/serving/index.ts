// Serving endpoints (what each serves) and batch scoring jobs; loading and scoring ONNX models is
// packages/serving's.
export {
  createServingEndpoint,
  getServingEndpoint,
  listServingEndpoints,
  updateServingEndpoint,
  deleteServingEndpoint,
  endpointForInvocation,
  recordServingSwitch,
  resolveTarget as resolveEndpointTarget,
  assertServable,
  parseEndpointTarget,
  targetLabel as endpointTargetLabel,
  type EndpointView,
  type EndpointTarget,
  type ResolvedVersion,
  type CreateEndpointInput,
  type UpdateEndpointInput,
} from "./endpoints.ts";
