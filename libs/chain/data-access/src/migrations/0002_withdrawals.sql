CREATE TABLE "withdrawal_attempts" (
	"withdrawal_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"raw_transaction" text NOT NULL,
	"max_fee_per_gas_wei" numeric(78, 0) NOT NULL,
	"max_priority_fee_per_gas_wei" numeric(78, 0) NOT NULL,
	"signed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"broadcast_at" timestamp with time zone,
	CONSTRAINT "withdrawal_attempts_pk" PRIMARY KEY("withdrawal_id","attempt"),
	CONSTRAINT "withdrawal_attempts_attempt_ck" CHECK (attempt >= 1)
);
--> statement-breakpoint
CREATE TABLE "withdrawal_outcomes" (
	"withdrawal_id" uuid PRIMARY KEY NOT NULL,
	"outcome" text NOT NULL,
	"event_id" text NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "withdrawal_outcomes_outcome_ck" CHECK (outcome in ('confirmed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "withdrawals" (
	"withdrawal_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"chain_id" integer NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"to_address" text NOT NULL,
	"token_contract" text,
	"from_address" text NOT NULL,
	"nonce" bigint,
	"state" text NOT NULL,
	"failure_reason" text,
	"failure_detail" text,
	"final_tx_hash" text,
	"block_number" bigint,
	"block_hash" text,
	"approved_event_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "withdrawals_state_ck" CHECK (state in ('signed', 'broadcast', 'confirmed', 'failed')),
	CONSTRAINT "withdrawals_failure_reason_ck" CHECK (failure_reason is null or failure_reason in ('reverted', 'dropped', 'rejected')),
	CONSTRAINT "withdrawals_nonce_ck" CHECK (nonce is not null or failure_reason = 'rejected'),
	CONSTRAINT "withdrawals_failed_reason_ck" CHECK ((state = 'failed') = (failure_reason is not null))
);
--> statement-breakpoint
CREATE TABLE "hot_wallet_nonces" (
	"chain_id" integer NOT NULL,
	"address" text NOT NULL,
	"next_nonce" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hot_wallet_nonces_pk" PRIMARY KEY("chain_id","address"),
	CONSTRAINT "hot_wallet_nonces_next_nonce_ck" CHECK (next_nonce >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawal_attempts_tx_hash_uq" ON "withdrawal_attempts" USING btree ("tx_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawals_wallet_nonce_uq" ON "withdrawals" USING btree ("chain_id","from_address","nonce") WHERE nonce is not null;--> statement-breakpoint
CREATE INDEX "withdrawals_open_idx" ON "withdrawals" USING btree ("state","nonce") WHERE state in ('signed', 'broadcast');