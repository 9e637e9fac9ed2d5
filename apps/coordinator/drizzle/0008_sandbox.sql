ALTER TABLE "nodes" ADD COLUMN "sandbox" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "network" text;