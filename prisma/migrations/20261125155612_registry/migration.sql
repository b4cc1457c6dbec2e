-- CreateEnum
CREATE TYPE "ModelStage" AS ENUM ('None', 'Staging', 'Production', 'Archived');

-- CreateEnum
CREATE TYPE "ModelVersionStatus" AS ENUM ('PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY');

-- CreateEnum
CREATE TYPE "ModelPermissionLevel" AS ENUM ('READ', 'EDIT', 'MANAGE_STAGING_VERSIONS', 'MANAGE_PRODUCTION_VERSIONS', 'MANAGE');

-- CreateTable
CREATE TABLE "registered_model" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "creation_timestamp" BIGINT NOT NULL,
    "last_updated_timestamp" BIGINT NOT NULL,
    "owner_id" UUID,
    "next_version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "registered_model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registered_model_tag" (
    "model_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "registered_model_tag_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "registered_model_permission" (
    "model_id" INTEGER NOT NULL,
    "user_id" UUID NOT NULL,
    "level" "ModelPermissionLevel" NOT NULL,

    CONSTRAINT "registered_model_permission_pkey" PRIMARY KEY ("model_id","user_id")
);

-- CreateTable
CREATE TABLE "model_version" (
    "pk" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "creation_timestamp" BIGINT NOT NULL,
    "last_updated_timestamp" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL DEFAULT '',
    "owner_id" UUID,
    "current_stage" "ModelStage" NOT NULL DEFAULT 'None',
    "description" TEXT NOT NULL DEFAULT '',
    "source" TEXT NOT NULL,
    "storage_location" TEXT NOT NULL,
    "store_path" TEXT,
    "run_id" TEXT NOT NULL DEFAULT '',
    "run_link" TEXT NOT NULL DEFAULT '',
    "status" "ModelVersionStatus" NOT NULL DEFAULT 'READY',
    "status_message" TEXT NOT NULL DEFAULT '',
    "mlmodel" JSONB,
    "deleted_timestamp" BIGINT,

    CONSTRAINT "model_version_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "model_version_tag" (
    "version_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "model_version_tag_pkey" PRIMARY KEY ("version_pk","key")
);

-- CreateTable
CREATE TABLE "registered_model_alias" (
    "model_id" INTEGER NOT NULL,
    "alias" TEXT NOT NULL,
    "version_pk" BIGINT NOT NULL,

    CONSTRAINT "registered_model_alias_pkey" PRIMARY KEY ("model_id","alias")
);

-- CreateTable
CREATE TABLE "alias_event" (
    "id" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "alias" TEXT NOT NULL,
    "from_version" INTEGER,
    "to_version" INTEGER,
    "at" BIGINT NOT NULL,
    "actor_id" UUID,
    "actor_name" TEXT NOT NULL,
    "reason" TEXT,

    CONSTRAINT "alias_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stage_transition" (
    "id" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version_pk" BIGINT NOT NULL,
    "from_stage" "ModelStage",
    "to_stage" "ModelStage" NOT NULL,
    "at" BIGINT NOT NULL,
    "actor_id" UUID,
    "actor_name" TEXT NOT NULL,
    "system" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT,

    CONSTRAINT "stage_transition_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registered_model_name_key" ON "registered_model"("name");

-- CreateIndex
CREATE INDEX "registered_model_last_updated_timestamp_idx" ON "registered_model"("last_updated_timestamp");

-- CreateIndex
CREATE INDEX "registered_model_permission_user_id_idx" ON "registered_model_permission"("user_id");

-- CreateIndex
CREATE INDEX "model_version_run_id_idx" ON "model_version"("run_id");

-- CreateIndex
CREATE INDEX "model_version_last_updated_timestamp_idx" ON "model_version"("last_updated_timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "model_version_model_id_version_key" ON "model_version"("model_id", "version");

-- CreateIndex
CREATE INDEX "registered_model_alias_version_pk_idx" ON "registered_model_alias"("version_pk");

-- CreateIndex
CREATE INDEX "alias_event_model_id_alias_at_idx" ON "alias_event"("model_id", "alias", "at");

-- CreateIndex
CREATE INDEX "stage_transition_version_pk_at_idx" ON "stage_transition"("version_pk", "at");

-- CreateIndex
CREATE INDEX "stage_transition_model_id_at_idx" ON "stage_transition"("model_id", "at");

-- AddForeignKey
ALTER TABLE "registered_model_tag" ADD CONSTRAINT "registered_model_tag_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_permission" ADD CONSTRAINT "registered_model_permission_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version" ADD CONSTRAINT "model_version_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_tag" ADD CONSTRAINT "model_version_tag_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_alias" ADD CONSTRAINT "registered_model_alias_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_alias" ADD CONSTRAINT "registered_model_alias_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alias_event" ADD CONSTRAINT "alias_event_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stage_transition" ADD CONSTRAINT "stage_transition_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;
