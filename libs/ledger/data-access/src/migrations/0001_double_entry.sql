CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "transfers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"debit_account_id" uuid NOT NULL,
	"credit_account_id" uuid NOT NULL,
	"amount" numeric(39, 0) NOT NULL,
	"asset" text NOT NULL,
	"code" text NOT NULL,
	"kind" text NOT NULL,
	"pending" boolean DEFAULT false NOT NULL,
	"pending_id" uuid,
	"timeout_at" timestamp with time zone,
	"batch_id" uuid NOT NULL,
	"reference" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfers_amount_positive_ck" CHECK (amount > 0),
	CONSTRAINT "transfers_accounts_differ_ck" CHECK (debit_account_id <> credit_account_id),
	CONSTRAINT "transfers_kind_ck" CHECK (kind in ('single', 'pending', 'post_pending', 'void_pending')),
	CONSTRAINT "transfers_kind_fields_ck" CHECK (pending = (kind = 'pending') and (pending_id is not null) = (kind in ('post_pending', 'void_pending')) and (timeout_at is null or kind = 'pending'))
);
--> statement-breakpoint
ALTER TABLE "accounts" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "debits_posted" numeric(39, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credits_posted" numeric(39, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "debits_pending" numeric(39, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credits_pending" numeric(39, 0) DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "debits_must_not_exceed_credits" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "credits_must_not_exceed_debits" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_debit_account_fk" FOREIGN KEY ("debit_account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_credit_account_fk" FOREIGN KEY ("credit_account_id") REFERENCES "accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_pending_fk" FOREIGN KEY ("pending_id") REFERENCES "transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "transfers_pending_id_uq" ON "transfers" USING btree ("pending_id") WHERE pending_id is not null;--> statement-breakpoint
CREATE INDEX "transfers_debit_account_id_idx" ON "transfers" USING btree ("debit_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_credit_account_id_idx" ON "transfers" USING btree ("credit_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_pending_timeout_idx" ON "transfers" USING btree ("timeout_at") WHERE kind = 'pending' and timeout_at is not null;--> statement-breakpoint
CREATE INDEX "transfers_reference_idx" ON "transfers" USING btree ("reference") WHERE reference is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_system_asset_kind_uq" ON "accounts" USING btree ("asset","kind") WHERE user_id is null;--> statement-breakpoint
-- Edited after generation: the foreign keys name no schema (the migrating connection decides it), and user
-- accounts opened before this migration get the non-negative flag before the checks require it.
UPDATE "accounts" SET "debits_must_not_exceed_credits" = true WHERE "kind" IN ('user_available', 'user_locked');--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_debits_within_credits_ck" CHECK (not debits_must_not_exceed_credits or debits_posted + debits_pending <= credits_posted);--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_credits_within_debits_ck" CHECK (not credits_must_not_exceed_debits or credits_posted + credits_pending <= debits_posted);--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_totals_non_negative_ck" CHECK (debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0 and credits_pending >= 0);--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_one_limit_ck" CHECK (not (debits_must_not_exceed_credits and credits_must_not_exceed_debits));--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_kind_owner_ck" CHECK (case when kind in ('user_available', 'user_locked') then user_id is not null and debits_must_not_exceed_credits else user_id is null end);