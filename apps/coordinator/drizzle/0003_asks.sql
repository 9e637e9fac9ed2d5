CREATE TABLE "asks" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"claim_id" text NOT NULL,
	"node_id" text NOT NULL,
	"question" text NOT NULL,
	"options" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"gate" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"answer" text,
	"answered_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "asks_state" ON "asks" USING btree ("state","created_at");--> statement-breakpoint
CREATE INDEX "asks_claim" ON "asks" USING btree ("claim_id");