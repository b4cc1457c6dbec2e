-- AlterTable
ALTER TABLE "experiment" ADD COLUMN     "trace_retention_days" INTEGER;

-- CreateTable
CREATE TABLE "trace" (
    "trace_id" VARCHAR(64) NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "client_request_id" TEXT,
    "request_time" BIGINT NOT NULL,
    "execution_duration" BIGINT,
    "state" TEXT NOT NULL DEFAULT 'IN_PROGRESS',
    "request_preview" TEXT,
    "response_preview" TEXT,
    "name" TEXT,
    "run_id" VARCHAR(32),
    "model_id" VARCHAR(34),
    "span_count" INTEGER NOT NULL DEFAULT 0,
    "spans_location" TEXT NOT NULL DEFAULT 'TRACKING_STORE',
    "size_bytes" BIGINT NOT NULL DEFAULT 0,
    "created_at" BIGINT NOT NULL,

    CONSTRAINT "trace_pkey" PRIMARY KEY ("trace_id")
);

-- CreateTable
CREATE TABLE "trace_tag" (
    "trace_id" VARCHAR(64) NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "trace_tag_pkey" PRIMARY KEY ("trace_id","key")
);

-- CreateTable
CREATE TABLE "trace_metadata" (
    "trace_id" VARCHAR(64) NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "trace_metadata_pkey" PRIMARY KEY ("trace_id","key")
);

-- CreateTable
CREATE TABLE "trace_span" (
    "trace_id" VARCHAR(64) NOT NULL,
    "span_id" VARCHAR(16) NOT NULL,
    "parent_span_id" VARCHAR(16),
    "name" TEXT NOT NULL,
    "span_type" TEXT,
    "status" TEXT NOT NULL,
    "start_time_ns" BIGINT NOT NULL,
    "end_time_ns" BIGINT,
    "content" TEXT NOT NULL,

    CONSTRAINT "trace_span_pkey" PRIMARY KEY ("trace_id","span_id")
);

-- CreateTable
CREATE TABLE "trace_assessment" (
    "assessment_id" VARCHAR(34) NOT NULL,
    "trace_id" VARCHAR(64) NOT NULL,
    "span_id" VARCHAR(16),
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "value" JSONB,
    "numeric_value" DOUBLE PRECISION,
    "serialized_value" JSONB,
    "error" JSONB,
    "source_type" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "rationale" TEXT,
    "metadata" JSONB,
    "overrides" VARCHAR(34),
    "valid" BOOLEAN NOT NULL DEFAULT true,
    "created_by" UUID,
    "create_time" BIGINT NOT NULL,
    "last_update_time" BIGINT NOT NULL,

    CONSTRAINT "trace_assessment_pkey" PRIMARY KEY ("assessment_id")
);

-- CreateTable
CREATE TABLE "trace_run_link" (
    "trace_id" VARCHAR(64) NOT NULL,
    "run_id" VARCHAR(32) NOT NULL,

    CONSTRAINT "trace_run_link_pkey" PRIMARY KEY ("trace_id","run_id")
);

-- CreateIndex
CREATE INDEX "trace_experiment_id_request_time_trace_id_idx" ON "trace"("experiment_id", "request_time" DESC, "trace_id");

-- CreateIndex
CREATE INDEX "trace_run_id_idx" ON "trace"("run_id");

-- CreateIndex
CREATE INDEX "trace_model_id_idx" ON "trace"("model_id");

-- CreateIndex
CREATE INDEX "trace_tag_key_value_idx" ON "trace_tag"("key", "value");

-- CreateIndex
CREATE INDEX "trace_metadata_key_value_idx" ON "trace_metadata"("key", "value");

-- CreateIndex
CREATE INDEX "trace_assessment_trace_id_idx" ON "trace_assessment"("trace_id");

-- CreateIndex
CREATE INDEX "trace_assessment_name_valid_idx" ON "trace_assessment"("name", "valid");

-- CreateIndex
CREATE INDEX "trace_run_link_run_id_idx" ON "trace_run_link"("run_id");

-- AddForeignKey
ALTER TABLE "trace" ADD CONSTRAINT "trace_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_tag" ADD CONSTRAINT "trace_tag_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("trace_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_metadata" ADD CONSTRAINT "trace_metadata_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("trace_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_span" ADD CONSTRAINT "trace_span_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("trace_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_assessment" ADD CONSTRAINT "trace_assessment_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("trace_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_run_link" ADD CONSTRAINT "trace_run_link_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("trace_id") ON DELETE CASCADE ON UPDATE CASCADE;
