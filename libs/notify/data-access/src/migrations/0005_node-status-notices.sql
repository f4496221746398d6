CREATE TABLE "node_status_notices" (
	"user_id" uuid NOT NULL,
	"chain_id" integer NOT NULL,
	"told" text NOT NULL,
	"last_down_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "node_status_notices_user_id_chain_id_pk" PRIMARY KEY("user_id","chain_id"),
	CONSTRAINT "node_status_notices_told_ck" CHECK (told in ('up', 'down'))
);
--> statement-breakpoint
CREATE TABLE "node_statuses" (
	"chain_id" integer PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"changed_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "node_statuses_status_ck" CHECK (status in ('up', 'down'))
);
--> statement-breakpoint
CREATE INDEX "node_status_notices_told_down_idx" ON "node_status_notices" USING btree ("chain_id") WHERE told = 'down';