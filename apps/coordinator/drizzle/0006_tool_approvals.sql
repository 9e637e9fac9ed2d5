ALTER TABLE "asks" ADD COLUMN "tool" jsonb;--> statement-breakpoint
ALTER TABLE "asks" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "asks" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "approve_tools" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "approve_tools_timeout_ms" bigint;