-- DropIndex
DROP INDEX "outbox_messages_published_at_sequence_idx";

-- AlterTable
ALTER TABLE "outbox_messages" ADD COLUMN     "parked_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "outbox_messages_published_at_parked_at_sequence_idx" ON "outbox_messages"("published_at", "parked_at", "sequence");
