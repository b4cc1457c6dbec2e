-- CreateTable
CREATE TABLE "logged_model_latest_metric" (
    "model_pk" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "experiment_id" INTEGER NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "step" BIGINT NOT NULL,

    CONSTRAINT "logged_model_latest_metric_pkey" PRIMARY KEY ("model_pk","key")
);

-- CreateIndex
CREATE INDEX "logged_model_latest_metric_experiment_id_key_value_idx" ON "logged_model_latest_metric"("experiment_id", "key", "value");

-- AddForeignKey
ALTER TABLE "logged_model_latest_metric" ADD CONSTRAINT "logged_model_latest_metric_model_pk_fkey" FOREIGN KEY ("model_pk") REFERENCES "logged_model"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- Models logged before this table existed
INSERT INTO "logged_model_latest_metric" ("model_pk", "key", "experiment_id", "value", "timestamp", "step")
SELECT DISTINCT ON ("model_pk", "key") "model_pk", "key", "experiment_id", "value", "timestamp", "step"
FROM "logged_model_metric" ORDER BY "model_pk", "key", "timestamp" DESC, "step" DESC, "value" DESC;
