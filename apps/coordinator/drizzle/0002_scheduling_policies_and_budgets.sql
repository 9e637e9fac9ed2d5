ALTER TABLE "claims" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "queued_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "policy" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "affinity_key" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "spread_label" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "group_name" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "group_limit" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "max_cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "retry_on" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "cost_usd" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "pending_reason" text;--> statement-breakpoint
CREATE INDEX "tasks_group" ON "tasks" USING btree ("group_name","state");