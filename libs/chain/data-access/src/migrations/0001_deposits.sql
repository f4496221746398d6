CREATE TABLE "deposit_address_counters" (
	"chain_id" integer PRIMARY KEY NOT NULL,
	"next_index" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deposit_addresses" (
	"user_id" text NOT NULL,
	"chain_id" integer NOT NULL,
	"address" text NOT NULL,
	"derivation_index" integer NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	CONSTRAINT "deposit_addresses_pk" PRIMARY KEY("user_id","chain_id")
);
--> statement-breakpoint
CREATE TABLE "deposit_claims" (
	"user_id" text NOT NULL,
	"tx_hash" text NOT NULL,
	"chain_id" integer NOT NULL,
	"state" text NOT NULL,
	"last_status" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "deposit_claims_pk" PRIMARY KEY("user_id","tx_hash")
);
--> statement-breakpoint
CREATE TABLE "deposits" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"user_id" text NOT NULL,
	"asset" text NOT NULL,
	"token_contract" text NOT NULL,
	"to_address" text NOT NULL,
	"from_address" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text NOT NULL,
	"below_dust_minimum" boolean NOT NULL,
	"state" text NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"confirmed_at" timestamp with time zone,
	"reverted_at" timestamp with time zone,
	CONSTRAINT "deposits_pk" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "scan_cursors" (
	"chain_id" integer PRIMARY KEY NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scanned_blocks" (
	"chain_id" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text NOT NULL,
	"parent_hash" text NOT NULL,
	CONSTRAINT "scanned_blocks_pk" PRIMARY KEY("chain_id","block_number")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "deposit_addresses_address_uq" ON "deposit_addresses" USING btree ("chain_id","address");--> statement-breakpoint
CREATE UNIQUE INDEX "deposit_addresses_index_uq" ON "deposit_addresses" USING btree ("chain_id","derivation_index");--> statement-breakpoint
CREATE INDEX "deposit_claims_pending_idx" ON "deposit_claims" USING btree ("chain_id","state") WHERE state <> 'resolved';--> statement-breakpoint
CREATE INDEX "deposits_awaiting_idx" ON "deposits" USING btree ("chain_id","block_number") WHERE state = 'detected' and not below_dust_minimum;--> statement-breakpoint
CREATE INDEX "deposits_block_idx" ON "deposits" USING btree ("chain_id","block_number");--> statement-breakpoint
CREATE INDEX "deposits_user_tx_idx" ON "deposits" USING btree ("user_id","tx_hash");