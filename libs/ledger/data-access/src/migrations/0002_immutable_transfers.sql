-- Transfers are immutable: a correction is a new transfer, never an edit. The database refuses
-- UPDATE, DELETE and TRUNCATE of the transfers table whoever issues them, so the history every
-- balance is proven against (checkInvariants) cannot be rewritten by a bug or a stray script.
-- The function and triggers are created unqualified, in the schema the migrator runs in.
CREATE FUNCTION "transfers_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfers are immutable: % on transfers is refused; post a correcting transfer instead', TG_OP
    USING ERRCODE = 'restrict_violation', HINT = 'create a new transfer that reverses or completes the earlier one';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "transfers_immutable_row_trg" BEFORE UPDATE OR DELETE ON "transfers"
  FOR EACH ROW EXECUTE FUNCTION "transfers_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "transfers_immutable_truncate_trg" BEFORE TRUNCATE ON "transfers"
  FOR EACH STATEMENT EXECUTE FUNCTION "transfers_refuse_change"();
