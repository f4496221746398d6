CREATE TABLE "broadcasts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"admin_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"texts" jsonb NOT NULL,
	"state" text NOT NULL,
	"recipients_total" integer DEFAULT 0 NOT NULL,
	"enqueued" integer DEFAULT 0 NOT NULL,
	"cursor_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "broadcasts_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"sequence" bigserial NOT NULL,
	"user_id" uuid,
	"chat_id" bigint NOT NULL,
	"priority" smallint NOT NULL,
	"template" text NOT NULL,
	"language_code" text NOT NULL,
	"text" text NOT NULL,
	"entities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"causation_id" text NOT NULL,
	"broadcast_id" uuid,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"telegram_message_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "notifications_state_ck" CHECK (state in ('pending', 'sending', 'delivered', 'blocked', 'failed', 'unconfirmed')),
	CONSTRAINT "notifications_priority_ck" CHECK (priority between 0 and 3)
);
--> statement-breakpoint
CREATE TABLE "ops_alerts" (
	"dedupe_key" text PRIMARY KEY NOT NULL,
	"last_sent_at" timestamp with time zone NOT NULL,
	"suppressed" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pending_operations" (
	"user_id" uuid NOT NULL,
	"operation_key" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pending_operations_user_id_operation_key_pk" PRIMARY KEY("user_id","operation_key")
);
--> statement-breakpoint
ALTER TABLE "recipients" ADD COLUMN "blocked_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_sequence_uq" ON "notifications" USING btree ("sequence");--> statement-breakpoint
CREATE INDEX "notifications_queue_idx" ON "notifications" USING btree ("priority","sequence") WHERE state = 'pending';--> statement-breakpoint
CREATE INDEX "notifications_chat_open_idx" ON "notifications" USING btree ("chat_id","sequence") WHERE state in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "notifications_broadcast_idx" ON "notifications" USING btree ("broadcast_id","state");