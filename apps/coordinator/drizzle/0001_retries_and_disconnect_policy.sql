ALTER TABLE "tasks" ADD COLUMN "idempotent" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "on_disconnect" text DEFAULT 'stop' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "not_before" timestamp with time zone;