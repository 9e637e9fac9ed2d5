CREATE TABLE "decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"task_id" text,
	"hash" text NOT NULL,
	"prompt" text NOT NULL,
	"raw" text,
	"move" jsonb,
	"idempotency_key" text NOT NULL,
	"error" text,
	"ask_id" text,
	"result_task_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "goals" (
	"id" text PRIMARY KEY NOT NULL,
	"text" text NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "playbook_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"text" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pulse_journal" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pulse_journal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	"decision_id" text
);
--> statement-breakpoint
CREATE TABLE "pulse_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT true NOT NULL,
	"interval_ms" integer NOT NULL,
	"max_decides_per_hour" integer NOT NULL,
	"agent" jsonb NOT NULL,
	"last_hash" text,
	"last_signals" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_decision_at" timestamp with time zone,
	"next_beat_at" timestamp with time zone,
	"beat_requested" boolean DEFAULT false NOT NULL,
	"deciding_id" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"backoff_until" timestamp with time zone,
	"last_failure" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pulse_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"decision_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readings" (
	"id" text PRIMARY KEY NOT NULL,
	"sensor" text NOT NULL,
	"task_id" text,
	"ok" boolean NOT NULL,
	"signal" jsonb,
	"detail" jsonb,
	"error" text,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"name" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone,
	"every_ms" integer,
	"next_at" timestamp with time zone,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sensors" (
	"name" text PRIMARY KEY NOT NULL,
	"argv" jsonb NOT NULL,
	"every_ms" integer NOT NULL,
	"selector" text DEFAULT '' NOT NULL,
	"timeout_ms" integer NOT NULL,
	"next_run_at" timestamp with time zone,
	"running_task_id" text,
	"change_streak" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "result" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "decisions_idempotency" ON "decisions" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "decisions_created" ON "decisions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "pulse_journal_at" ON "pulse_journal" USING btree ("at");--> statement-breakpoint
CREATE INDEX "readings_sensor" ON "readings" USING btree ("sensor","taken_at");