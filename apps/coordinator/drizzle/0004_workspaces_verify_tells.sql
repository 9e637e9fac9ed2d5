CREATE TABLE "tells" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"claim_id" text NOT NULL,
	"node_id" text NOT NULL,
	"text" text NOT NULL,
	"from_name" text NOT NULL,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "workspace" jsonb;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "verify_result" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "repo" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ref" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "verify" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "idle_timeout_ms" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "output_cap_bytes" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "approve_before" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "workspace" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "verify_result" jsonb;--> statement-breakpoint
CREATE INDEX "tells_claim" ON "tells" USING btree ("claim_id");