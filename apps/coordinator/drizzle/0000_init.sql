CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "claim_records" (
	"claim_id" text NOT NULL,
	"seq" integer NOT NULL,
	"task_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"kind" text NOT NULL,
	"record" jsonb NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claim_records_claim_id_seq_pk" PRIMARY KEY("claim_id","seq")
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"node_id" text NOT NULL,
	"token" integer NOT NULL,
	"attempt" integer NOT NULL,
	"state" text DEFAULT 'offered' NOT NULL,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"offered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"accepted_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"exit_code" integer,
	"signal" text,
	"reason" text,
	"message" text
);
--> statement-breakpoint
CREATE TABLE "join_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"uses" integer NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "node_jwt_ids" (
	"jti" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"public_key" jsonb NOT NULL,
	"state" text DEFAULT 'joined' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"capacity" integer DEFAULT 1 NOT NULL,
	"agents" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" text,
	"hostname" text,
	"os" text,
	"arch" text,
	"cordoned" boolean DEFAULT false NOT NULL,
	"draining" boolean DEFAULT false NOT NULL,
	"session_id" text,
	"join_key_id" text,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"connected_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"agent" text NOT NULL,
	"argv" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"prompt" text,
	"model" text,
	"thinking" text,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"selector" text DEFAULT '' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"timeout_ms" bigint NOT NULL,
	"max_attempts" integer NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_token" integer DEFAULT 0 NOT NULL,
	"current_claim_id" text,
	"node_id" text,
	"exit_code" integer,
	"reason" text,
	"message" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash" ON "api_tokens" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "claim_records_task" ON "claim_records" USING btree ("task_id","attempt","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "claims_task_token" ON "claims" USING btree ("task_id","token");--> statement-breakpoint
CREATE INDEX "claims_node_state" ON "claims" USING btree ("node_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_live_name" ON "nodes" USING btree ("name") WHERE "nodes"."state" <> 'revoked';--> statement-breakpoint
CREATE INDEX "tasks_queue" ON "tasks" USING btree ("state","priority","created_at");--> statement-breakpoint
CREATE INDEX "tasks_created" ON "tasks" USING btree ("created_at");