-- CreateEnum
CREATE TYPE "LifecycleStage" AS ENUM ('active', 'deleted');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED');

-- CreateEnum
CREATE TYPE "PermissionLevel" AS ENUM ('READ', 'EDIT', 'MANAGE');

-- CreateTable
CREATE TABLE "experiment" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "artifact_location" TEXT NOT NULL,
    "lifecycle_stage" "LifecycleStage" NOT NULL DEFAULT 'active',
    "creation_time" BIGINT NOT NULL,
    "last_update_time" BIGINT NOT NULL,
    "owner_id" UUID,

    CONSTRAINT "experiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiment_tag" (
    "experiment_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "experiment_tag_pkey" PRIMARY KEY ("experiment_id","key")
);

-- CreateTable
CREATE TABLE "experiment_permission" (
    "experiment_id" INTEGER NOT NULL,
    "user_id" UUID NOT NULL,
    "level" "PermissionLevel" NOT NULL,

    CONSTRAINT "experiment_permission_pkey" PRIMARY KEY ("experiment_id","user_id")
);

-- CreateTable
CREATE TABLE "run" (
    "pk" BIGSERIAL NOT NULL,
    "id" VARCHAR(32) NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "user_id" TEXT NOT NULL DEFAULT '',
    "owner_id" UUID,
    "status" "RunStatus" NOT NULL DEFAULT 'RUNNING',
    "start_time" BIGINT NOT NULL DEFAULT 0,
    "end_time" BIGINT,
    "artifact_uri" TEXT NOT NULL,
    "lifecycle_stage" "LifecycleStage" NOT NULL DEFAULT 'active',
    "deleted_time" BIGINT,

    CONSTRAINT "run_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "param" (
    "run_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "param_pkey" PRIMARY KEY ("run_pk","key")
);

-- CreateTable
CREATE TABLE "run_tag" (
    "run_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "run_tag_pkey" PRIMARY KEY ("run_pk","key")
);

-- CreateTable
CREATE TABLE "metric" (
    "run_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,
    "timestamp" BIGINT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "metric_pkey" PRIMARY KEY ("run_pk","key","step","seq")
);

-- CreateTable
CREATE TABLE "latest_metric" (
    "run_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL,

    CONSTRAINT "latest_metric_pkey" PRIMARY KEY ("run_pk","key")
);

-- CreateTable
CREATE TABLE "dataset" (
    "pk" BIGSERIAL NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "source_type" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "schema" TEXT,
    "profile" TEXT,

    CONSTRAINT "dataset_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "run_input" (
    "run_pk" BIGINT NOT NULL,
    "dataset_pk" BIGINT NOT NULL,
    "tags" JSONB NOT NULL DEFAULT '[]',
    "context" TEXT,

    CONSTRAINT "run_input_pkey" PRIMARY KEY ("run_pk","dataset_pk")
);

-- CreateIndex
CREATE UNIQUE INDEX "experiment_name_key" ON "experiment"("name");

-- CreateIndex
CREATE INDEX "experiment_lifecycle_stage_creation_time_idx" ON "experiment"("lifecycle_stage", "creation_time" DESC);

-- CreateIndex
CREATE INDEX "experiment_permission_user_id_idx" ON "experiment_permission"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "run_id_key" ON "run"("id");

-- CreateIndex
CREATE INDEX "run_experiment_id_lifecycle_stage_start_time_id_idx" ON "run"("experiment_id", "lifecycle_stage", "start_time" DESC, "id");

-- CreateIndex
CREATE INDEX "latest_metric_key_value_run_pk_idx" ON "latest_metric"("key", "value", "run_pk");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_experiment_id_name_digest_key" ON "dataset"("experiment_id", "name", "digest");

-- AddForeignKey
ALTER TABLE "experiment_tag" ADD CONSTRAINT "experiment_tag_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "experiment_permission" ADD CONSTRAINT "experiment_permission_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "param" ADD CONSTRAINT "param_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_tag" ADD CONSTRAINT "run_tag_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "latest_metric" ADD CONSTRAINT "latest_metric_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset" ADD CONSTRAINT "dataset_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_input" ADD CONSTRAINT "run_input_run_pk_fkey" FOREIGN KEY ("run_pk") REFERENCES "run"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_input" ADD CONSTRAINT "run_input_dataset_pk_fkey" FOREIGN KEY ("dataset_pk") REFERENCES "dataset"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- The Default experiment "0" always exists (MLflow clients log there without set_experiment).
INSERT INTO "experiment" ("id", "name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time")
VALUES (0, 'Default', 'mlflow-artifacts:/0', 'active', (extract(epoch from now()) * 1000)::bigint, (extract(epoch from now()) * 1000)::bigint);
