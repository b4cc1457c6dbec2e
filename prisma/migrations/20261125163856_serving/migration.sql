-- CreateEnum
CREATE TYPE "ServingTargetKind" AS ENUM ('VERSION', 'ALIAS', 'STAGE');

-- CreateEnum
CREATE TYPE "BatchJobStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- AlterEnum
ALTER TYPE "ActivityType" ADD VALUE 'SERVING_SWITCHED';

-- CreateTable
CREATE TABLE "serving_endpoint" (
    "id" VARCHAR(32) NOT NULL,
    "name" TEXT NOT NULL,
    "model_id" INTEGER NOT NULL,
    "target_kind" "ServingTargetKind" NOT NULL,
    "version" INTEGER,
    "alias" TEXT,
    "stage" "ModelStage",
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "served_version" INTEGER,
    "created_by" UUID,
    "creator_name" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "serving_endpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_scoring_job" (
    "id" UUID NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version_pk" BIGINT NOT NULL,
    "input_path" TEXT NOT NULL,
    "input_format" TEXT NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "run_id" TEXT,
    "output_path" TEXT,
    "status" "BatchJobStatus" NOT NULL DEFAULT 'QUEUED',
    "rows_done" BIGINT NOT NULL DEFAULT 0,
    "rows_total" BIGINT,
    "error" TEXT,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "created_by" UUID,
    "creator_name" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,
    "started_at" BIGINT,
    "finished_at" BIGINT,

    CONSTRAINT "batch_scoring_job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "serving_endpoint_name_key" ON "serving_endpoint"("name");

-- CreateIndex
CREATE INDEX "serving_endpoint_model_id_idx" ON "serving_endpoint"("model_id");

-- CreateIndex
CREATE INDEX "batch_scoring_job_status_created_at_idx" ON "batch_scoring_job"("status", "created_at");

-- CreateIndex
CREATE INDEX "batch_scoring_job_model_id_created_at_idx" ON "batch_scoring_job"("model_id", "created_at");

-- AddForeignKey
ALTER TABLE "serving_endpoint" ADD CONSTRAINT "serving_endpoint_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_scoring_job" ADD CONSTRAINT "batch_scoring_job_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_scoring_job" ADD CONSTRAINT "batch_scoring_job_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;
