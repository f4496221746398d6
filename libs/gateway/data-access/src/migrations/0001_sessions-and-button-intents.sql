CREATE TABLE "button_intents" (
	"intent_id" text PRIMARY KEY NOT NULL,
	"telegram_user_id" bigint NOT NULL,
	"action" text NOT NULL,
	"outcome" jsonb,
	"used_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb,
	"version" bigint NOT NULL,
	"needs_sync" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sessions_needs_sync_idx" ON "sessions" USING btree ("updated_at") WHERE needs_sync;