CREATE TABLE "referral_rewards" (
	"referred_user_id" uuid PRIMARY KEY NOT NULL,
	"referrer_user_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(39, 0) NOT NULL,
	"transfer_id" uuid NOT NULL,
	"trigger" text NOT NULL,
	"paid_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "referral_rewards_amount_ck" CHECK (amount > 0)
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"referred_user_id" uuid PRIMARY KEY NOT NULL,
	"referrer_user_id" uuid NOT NULL,
	"event_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "referrals_not_self_ck" CHECK (referred_user_id <> referrer_user_id)
);
--> statement-breakpoint
CREATE TABLE "user_blacklist" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"blacklisted" boolean NOT NULL,
	"reason" text NOT NULL,
	"admin_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_blacklist_reason_ck" CHECK (length(reason) between 1 and 256)
);
--> statement-breakpoint
ALTER TABLE "withdrawals" ADD COLUMN "tx_hash" text;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD COLUMN "broadcast_attempt" integer;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "published_by" uuid;--> statement-breakpoint
CREATE INDEX "referral_rewards_referrer_idx" ON "referral_rewards" USING btree ("referrer_user_id");--> statement-breakpoint
CREATE INDEX "referrals_referrer_idx" ON "referrals" USING btree ("referrer_user_id");--> statement-breakpoint
CREATE INDEX "withdrawals_held_created_idx" ON "withdrawals" USING btree ("created_at") WHERE state = 'held';--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_broadcast_attempt_ck" CHECK (broadcast_attempt is null or broadcast_attempt >= 1);