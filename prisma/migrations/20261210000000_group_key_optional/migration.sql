-- AlterTable
ALTER TABLE "group_members" ALTER COLUMN "encrypted_group_key" DROP NOT NULL;
