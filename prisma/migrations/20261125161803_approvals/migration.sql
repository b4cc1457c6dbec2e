-- CreateEnum
CREATE TYPE "ApprovalStatus" AS ENUM ('OPEN', 'APPROVED', 'REJECTED', 'CANCELLED', 'STALE');

-- CreateEnum
CREATE TYPE "ApprovalTargetKind" AS ENUM ('STAGE', 'ALIAS');

-- CreateEnum
CREATE TYPE "ApprovalDecisionKind" AS ENUM ('APPROVE', 'REJECT');

-- CreateEnum
CREATE TYPE "ActivityType" AS ENUM ('APPLIED_TRANSITION', 'REQUESTED_TRANSITION', 'CANCELLED_REQUEST', 'APPROVED_REQUEST', 'REJECTED_REQUEST', 'SYSTEM_TRANSITION', 'NEW_COMMENT', 'ALIAS_MOVED');

-- CreateEnum
CREATE TYPE "WebhookStatus" AS ENUM ('ACTIVE', 'DISABLED', 'TEST_MODE');

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "user_group" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "group_member" (
    "group_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_member_pkey" PRIMARY KEY ("group_id","user_id")
);

-- CreateTable
CREATE TABLE "experiment_group_permission" (
    "experiment_id" INTEGER NOT NULL,
    "group_id" UUID NOT NULL,
    "level" "PermissionLevel" NOT NULL,

    CONSTRAINT "experiment_group_permission_pkey" PRIMARY KEY ("experiment_id","group_id")
);

-- CreateTable
CREATE TABLE "registered_model_group_permission" (
    "model_id" INTEGER NOT NULL,
    "group_id" UUID NOT NULL,
    "level" "ModelPermissionLevel" NOT NULL,

    CONSTRAINT "registered_model_group_permission_pkey" PRIMARY KEY ("model_id","group_id")
);

-- CreateTable
CREATE TABLE "approval_policy" (
    "id" SERIAL NOT NULL,
    "scope" TEXT NOT NULL,
    "model_id" INTEGER,
    "rules" JSONB NOT NULL,
    "updated_at" BIGINT NOT NULL,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "approval_policy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "approval_request" (
    "id" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version_pk" BIGINT NOT NULL,
    "target_kind" "ApprovalTargetKind" NOT NULL,
    "to_stage" "ModelStage",
    "alias" TEXT,
    "archive_existing_versions" BOOLEAN NOT NULL DEFAULT false,
    "requester_id" UUID,
    "requester_name" TEXT NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "status" "ApprovalStatus" NOT NULL DEFAULT 'OPEN',
    "open_key" TEXT,
    "gate_results" JSONB,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,
    "closed_at" BIGINT,
    "closed_reason" TEXT,

    CONSTRAINT "approval_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "approval_decision" (
    "id" BIGSERIAL NOT NULL,
    "request_id" BIGINT NOT NULL,
    "user_id" UUID NOT NULL,
    "user_name" TEXT NOT NULL,
    "decision" "ApprovalDecisionKind" NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "at" BIGINT NOT NULL,

    CONSTRAINT "approval_decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "activity" (
    "id" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version_pk" BIGINT NOT NULL,
    "type" "ActivityType" NOT NULL,
    "from_stage" "ModelStage",
    "to_stage" "ModelStage",
    "alias" TEXT,
    "from_version" INTEGER,
    "comment" TEXT,
    "system_comment" TEXT,
    "user_id" UUID,
    "user_name" TEXT NOT NULL,
    "request_id" BIGINT,
    "comment_id" BIGINT,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "activity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "version_comment" (
    "id" BIGSERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version_pk" BIGINT NOT NULL,
    "user_id" UUID,
    "user_name" TEXT NOT NULL,
    "comment" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "version_comment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook" (
    "id" VARCHAR(32) NOT NULL,
    "model_id" INTEGER,
    "events" TEXT[],
    "description" TEXT NOT NULL DEFAULT '',
    "url" TEXT NOT NULL,
    "secret_enc" BYTEA,
    "authorization_enc" BYTEA,
    "enable_ssl_verification" BOOLEAN NOT NULL DEFAULT true,
    "allow_private" BOOLEAN NOT NULL DEFAULT false,
    "status" "WebhookStatus" NOT NULL DEFAULT 'ACTIVE',
    "created_by" UUID,
    "created_at" BIGINT NOT NULL,
    "updated_at" BIGINT NOT NULL,

    CONSTRAINT "webhook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "webhook_id" VARCHAR(32) NOT NULL,
    "event" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" BIGINT NOT NULL,
    "delivered_at" BIGINT,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempt" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "at" BIGINT NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,

    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_group_name_key" ON "user_group"("name");

-- CreateIndex
CREATE INDEX "group_member_user_id_idx" ON "group_member"("user_id");

-- CreateIndex
CREATE INDEX "experiment_group_permission_group_id_idx" ON "experiment_group_permission"("group_id");

-- CreateIndex
CREATE INDEX "registered_model_group_permission_group_id_idx" ON "registered_model_group_permission"("group_id");

-- CreateIndex
CREATE UNIQUE INDEX "approval_policy_scope_key" ON "approval_policy"("scope");

-- CreateIndex
CREATE UNIQUE INDEX "approval_policy_model_id_key" ON "approval_policy"("model_id");

-- CreateIndex
CREATE UNIQUE INDEX "approval_request_open_key_key" ON "approval_request"("open_key");

-- CreateIndex
CREATE INDEX "approval_request_model_id_status_idx" ON "approval_request"("model_id", "status");

-- CreateIndex
CREATE INDEX "approval_request_version_pk_idx" ON "approval_request"("version_pk");

-- CreateIndex
CREATE INDEX "approval_request_status_created_at_idx" ON "approval_request"("status", "created_at");

-- CreateIndex
CREATE INDEX "approval_request_requester_id_status_idx" ON "approval_request"("requester_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "approval_decision_request_id_user_id_key" ON "approval_decision"("request_id", "user_id");

-- CreateIndex
CREATE INDEX "activity_version_pk_created_at_idx" ON "activity"("version_pk", "created_at");

-- CreateIndex
CREATE INDEX "activity_model_id_created_at_idx" ON "activity"("model_id", "created_at");

-- CreateIndex
CREATE INDEX "version_comment_version_pk_created_at_idx" ON "version_comment"("version_pk", "created_at");

-- CreateIndex
CREATE INDEX "webhook_model_id_idx" ON "webhook"("model_id");

-- CreateIndex
CREATE INDEX "webhook_delivery_webhook_id_created_at_idx" ON "webhook_delivery"("webhook_id", "created_at");

-- CreateIndex
CREATE INDEX "webhook_delivery_status_created_at_idx" ON "webhook_delivery"("status", "created_at");

-- CreateIndex
CREATE INDEX "webhook_attempt_delivery_id_at_idx" ON "webhook_attempt"("delivery_id", "at");

-- AddForeignKey
ALTER TABLE "group_member" ADD CONSTRAINT "group_member_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_member" ADD CONSTRAINT "group_member_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "experiment_group_permission" ADD CONSTRAINT "experiment_group_permission_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "experiment_group_permission" ADD CONSTRAINT "experiment_group_permission_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_group_permission" ADD CONSTRAINT "registered_model_group_permission_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_group_permission" ADD CONSTRAINT "registered_model_group_permission_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_policy" ADD CONSTRAINT "approval_policy_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_request" ADD CONSTRAINT "approval_request_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_request" ADD CONSTRAINT "approval_request_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_decision" ADD CONSTRAINT "approval_decision_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "approval_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "activity" ADD CONSTRAINT "activity_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "activity" ADD CONSTRAINT "activity_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "activity" ADD CONSTRAINT "activity_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "approval_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "version_comment" ADD CONSTRAINT "version_comment_version_pk_fkey" FOREIGN KEY ("version_pk") REFERENCES "model_version"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook" ADD CONSTRAINT "webhook_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;
