-- Settings every replica must agree on, checked at start: a fingerprint of the secret that signs
-- sessions and part-upload URLs (never the secret itself).
CREATE TABLE "deployment_setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_setting_pkey" PRIMARY KEY ("key")
);
