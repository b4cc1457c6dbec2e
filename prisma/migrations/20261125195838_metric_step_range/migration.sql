-- AlterTable
ALTER TABLE "latest_metric" ADD COLUMN     "dense" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "max_step" BIGINT,
ADD COLUMN     "min_step" BIGINT;
