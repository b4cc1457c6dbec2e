-- CreateEnum
CREATE TYPE "LoggedModelStatus" AS ENUM ('PENDING', 'READY', 'UPLOAD_FAILED');

-- CreateEnum
CREATE TYPE "WebhookApi" AS ENUM ('DATABRICKS', 'MLFLOW');

-- AlterTable
ALTER TABLE "latest_metric" ADD COLUMN     "dataset_digest" TEXT,
ADD COLUMN     "dataset_name" TEXT,
ADD COLUMN     "model_id" TEXT;

-- AlterTable
ALTER TABLE "model_version" ADD COLUMN     "logged_model_id" TEXT;

-- AlterTable
ALTER TABLE "webhook" ADD COLUMN     "api" "WebhookApi" NOT NULL DEFAULT 'DATABRICKS',
ADD COLUMN     "name" TEXT;

-- CreateTable
CREATE TABLE "metric_link" (
    "run_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "step" BIGINT NOT NULL,
    "seq" BIGINT NOT NULL,
    "model_id" TEXT,
    "dataset_name" TEXT,
    "dataset_digest" TEXT,

    CONSTRAINT "metric_link_pkey" PRIMARY KEY ("run_pk","key","step","seq")
);

-- CreateTable
CREATE TABLE "logged_model" (
    "pk" BIGSERIAL NOT NULL,
    "id" VARCHAR(34) NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "artifact_location" TEXT NOT NULL,
    "creation_timestamp" BIGINT NOT NULL,
    "last_updated_timestamp" BIGINT NOT NULL,
    "status" "LoggedModelStatus" NOT NULL DEFAULT 'PENDING',
    "status_message" TEXT NOT NULL DEFAULT '',
    "lifecycle_stage" "LifecycleStage" NOT NULL DEFAULT 'active',
    "model_type" TEXT NOT NULL DEFAULT '',
    "source_run_id" TEXT NOT NULL DEFAULT '',
    "owner_id" UUID,

    CONSTRAINT "logged_model_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "logged_model_tag" (
    "model_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_tag_pkey" PRIMARY KEY ("model_pk","key")
);

-- CreateTable
CREATE TABLE "logged_model_param" (
    "model_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_param_pkey" PRIMARY KEY ("model_pk","key")
);

-- CreateTable
CREATE TABLE "logged_model_metric" (
    "model_pk" BIGINT NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "run_id" TEXT NOT NULL DEFAULT '',
    "dataset_name" TEXT NOT NULL DEFAULT '',
    "dataset_digest" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "logged_model_metric_pkey" PRIMARY KEY ("model_pk","key","timestamp","step","run_id","dataset_name","dataset_digest")
);

-- CreateTable
CREATE TABLE "run_output" (
    "run_pk" BIGINT NOT NULL,
    "model_pk" BIGINT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "run_output_pkey" PRIMARY KEY ("run_pk","model_pk")
);

-- CreateTable
CREATE TABLE "run_model_input" (
    "run_pk" BIGINT NOT NULL,
    "model_id" TEXT NOT NULL,

    CONSTRAINT "run_model_input_pkey" PRIMARY KEY ("run_pk","model_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "logged_model_id_key" ON "logged_model"("id");

-- CreateIndex
CREATE INDEX "logged_model_experiment_id_lifecycle_stage_creation_timesta_idx" ON "logged_model"("experiment_id", "lifecycle_stage", "creation_timestamp" DESC);

-- CreateIndex
CREATE INDEX "logged_model_experiment_id_name_idx" ON "logged_model"("experiment_id", "name");

-- CreateIndex
CREATE INDEX "logged_model_source_run_id_idx" ON "logged_model"("source_run_id");

-- CreateIndex
CREATE INDEX "logged_model_metric_experiment_id_key_value_idx" ON "logged_model_metric"("experiment_id", "key", "value");

-- CreateIndex
CREATE INDEX "run_output_model_pk_idx" ON "run_output"("model_pk");

-- CreateIndex
CREATE INDEX "model_version_logged_model_id_idx" ON "model_version"("logged_model_id");

-- AddForeignKey
ALTER TABLE "logged_model" ADD CONSTRAINT "logged_model_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_tag" ADD CONSTRAINT "logged_model_tag_model_pk_fkey" FOREIGN KEY ("model_pk") REFERENCES "logged_model"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_param" ADD CONSTRAINT "logged_model_param_model_pk_fkey" FOREIGN KEY ("model_pk") REFERENCES "logged_model"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_metric" ADD CONSTRAINT "logged_model_metric_model_pk_fkey" FOREIGN KEY ("model_pk") REFERENCES "logged_model"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_output" ADD CONSTRAINT "run_output_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_output" ADD CONSTRAINT "run_output_model_pk_fkey" FOREIGN KEY ("model_pk") REFERENCES "logged_model"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_input" ADD CONSTRAINT "run_model_input_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- A run's outputs (models it produced) and model inputs are part of its wire view: changing them
-- bumps run.view_version as the other child tables do (see the run_view_version migration).
DO $$
DECLARE
  t text;
  e text;
BEGIN
  FOREACH t IN ARRAY ARRAY['run_output', 'run_model_input'] LOOP
    FOREACH e IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
      EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION "run_view_touch"()',
        t || '_view_' || lower(left(e, 3)), e, t, CASE e WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END);
    END LOOP;
  END LOOP;
END;
$$;

-- get-download-uri answers a runs:/ source verbatim, as MLflow's server does (the client resolves
-- it); versions created before stored the resolved location there.
UPDATE "model_version" SET "storage_location" = "source" WHERE "source" LIKE 'runs:/%';
