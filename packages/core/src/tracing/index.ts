export { logSpans, logTraceData, startTraceV3, startTraceV2, endTraceV2, traceIdOfSpan, TRACE_KEYS, SPANS_IN_STORE, type TraceRecordInput, type LogSpansResult } from "./ingest.ts";
export { getTraceInfo, getTraceInfoV2, getTrace, batchGetTraces, loadSpans, isComplete, MAX_BATCH_GET, type SpanRow } from "./read.ts";
export { searchTraces, searchTracesV2, searchTraceRows, parseTraceFilter, SEARCH_TRACES_DEFAULT, SEARCH_TRACES_MAX, type SearchTracesInput } from "./search.ts";
export { setTraceTag, deleteTraceTag, deleteTraces, linkTracesToRun, setTraceRetention, purgeExpiredTraces, MAX_RETENTION_DAYS, type PurgeResult } from "./manage.ts";
export { createAssessment, getAssessment, updateAssessment, deleteAssessment, numericOf, SOURCE_TYPES, type AssessmentInput, type AssessmentField } from "./assessments.ts";
export { assessmentAggregates, modelTraceCounts, type AssessmentAggregate } from "./evidence.ts";
export { findTrace, traceNotFound } from "./access.ts";
export { loadTraceRows, traceInfoView, assessmentView, protoTimestamp, protoDuration, type TraceInfoView, type TraceInfoV2View, type AssessmentView, type AssessmentRow, type TraceRow } from "./views.ts";
export {
  decodeAnyValue,
  encodeAnyValue,
  attributeValue,
  chatMessages,
  preview,
  mlflowTraceId,
  otelTraceIdOf,
  SPAN_ATTR,
  type AnyValue,
  type KeyValue,
  type SpanInput,
  type SpanEvent,
  type SpanStatusCode,
} from "./spans.ts";
export { listTraces, countTraces, getTraceDetail, getSpanDetail, decodeSpan, spanTree, chatOf, recordReview, reviseReview, getTraceRetention, getModelTraceEvidence, type PortalTrace, type PortalSpan, type PortalSpanSummary, type SpanSummaryRow, type PortalSpanEvent, type ChatTurn, type TraceDetail, type ReviewValue, type ModelTraceEvidence } from "./portal.ts";
