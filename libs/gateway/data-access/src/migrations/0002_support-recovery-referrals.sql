CREATE TABLE "recovery_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"new_telegram_user_id" bigint NOT NULL,
	"new_chat_id" bigint NOT NULL,
	"status" text NOT NULL,
	"admin_id" uuid,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "recovery_requests_status_ck" CHECK (status in ('pending', 'approved', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "support_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"category" text NOT NULL,
	"description" text NOT NULL,
	"contact" text,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "support_requests_status_ck" CHECK (status in ('new', 'in_progress', 'resolved', 'closed', 'cancelled')),
	CONSTRAINT "support_requests_category_ck" CHECK (category in ('deposit', 'withdrawal', 'account', 'other'))
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "referrer_user_id" uuid;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "own_referral_code" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "recovery_code_hash" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "blacklisted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "fiat_currency" text DEFAULT 'USD' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "recovery_requests_pending_user_uq" ON "recovery_requests" USING btree ("user_id") WHERE status = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "recovery_requests_pending_account_uq" ON "recovery_requests" USING btree ("new_telegram_user_id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "support_requests_user_idx" ON "support_requests" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_own_referral_code_uq" ON "users" USING btree ("own_referral_code");--> statement-breakpoint
CREATE UNIQUE INDEX "users_recovery_code_hash_uq" ON "users" USING btree ("recovery_code_hash");