CREATE TABLE "deposits" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(39, 0) NOT NULL,
	"state" text NOT NULL,
	"credit_transfer_id" uuid NOT NULL,
	"reversed_from_user" numeric(39, 0),
	"reversed_from_exposure" numeric(39, 0),
	"credited_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reverted_at" timestamp with time zone,
	CONSTRAINT "deposits_pk" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "withdrawals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(39, 0) NOT NULL,
	"fee" numeric(39, 0) NOT NULL,
	"to_address" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"hold_transfer_id" uuid NOT NULL,
	"fee_hold_transfer_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "withdrawals_amount_positive_ck" CHECK (amount > 0 and fee >= 0),
	CONSTRAINT "withdrawals_state_ck" CHECK (state in ('held', 'awaiting_approval', 'approved', 'broadcast', 'completed', 'failed', 'rejected', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX "deposits_user_credited_idx" ON "deposits" USING btree ("user_id","credited_at");--> statement-breakpoint
CREATE INDEX "withdrawals_user_created_idx" ON "withdrawals" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "withdrawals_user_address_idx" ON "withdrawals" USING btree ("user_id","to_address");