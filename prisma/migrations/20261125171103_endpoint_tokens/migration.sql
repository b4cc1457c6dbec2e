-- AlterTable
ALTER TABLE "access_token" ADD COLUMN     "endpoint_id" VARCHAR(32);

-- AddForeignKey
ALTER TABLE "access_token" ADD CONSTRAINT "access_token_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "serving_endpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;
