-- Users and groups an identity provider manages (SCIM provisioning, OpenID Connect sign-in).
ALTER TABLE "user" ADD COLUMN "origin" TEXT NOT NULL DEFAULT 'local',
ADD COLUMN "external_id" TEXT,
ADD COLUMN "idp_subject" TEXT,
ADD COLUMN "deprovisioned_at" TIMESTAMPTZ(3),
ADD COLUMN "given_name" TEXT,
ADD COLUMN "family_name" TEXT;

ALTER TABLE "user_group" ADD COLUMN "origin" TEXT NOT NULL DEFAULT 'local',
ADD COLUMN "external_id" TEXT;

CREATE UNIQUE INDEX "user_external_id_key" ON "user"("external_id");
CREATE UNIQUE INDEX "user_idp_subject_key" ON "user"("idp_subject");
CREATE UNIQUE INDEX "user_group_external_id_key" ON "user_group"("external_id");

-- experiment_column's foreign key as schema.prisma declares it (ON UPDATE CASCADE), so the
-- migrations and the schema describe the same database.
ALTER TABLE "experiment_column" DROP CONSTRAINT "experiment_column_experiment_id_fkey";
ALTER TABLE "experiment_column" ADD CONSTRAINT "experiment_column_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
