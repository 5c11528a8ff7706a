-- CreateTable
CREATE TABLE "lab_settings" (
    "id" TEXT NOT NULL DEFAULT 'lab',
    "settings" JSONB NOT NULL,
    "starts" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "lab_settings_pkey" PRIMARY KEY ("id")
);
