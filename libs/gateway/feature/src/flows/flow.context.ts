import type { I18nFlavor } from '@grammyjs/i18n';
import type { SessionFlavor } from 'grammy';
import type { Logger } from 'pino';
import type { FlagWatcher, CommandClient } from '@strongbox/shared-messaging';
import type { Asset } from '@strongbox/shared-domain';
import type { UserRow } from '@strongbox/gateway-data-access';
import type { SignedButtons } from '../buttons';
import type { ExchangeRates } from '../rates';
import type { GatewayContext } from '../update.context';

// ---------------------------------------------------------------------------------------------
// What every flow composer works with: the update's transaction (ctx.tx), the user's session,
// translations in the user's language, and the Strongbox user behind the Telegram account.
// ---------------------------------------------------------------------------------------------

/**
 * A dialog in progress: which one, which step, and what was answered so far (strings only, so
 * the session stays plain JSON; amounts are minor units as decimal strings).
 */
export interface DialogState {
  readonly kind: string;
  readonly step: string;
  readonly data: Readonly<Record<string, string>>;
  /** ms since the epoch; a dialog older than DIALOG_TTL_MS is forgotten. */
  readonly startedAt: number;
}

/** A dialog left alone this long is over: the next text is not taken as its answer. */
export const DIALOG_TTL_MS = 30 * 60 * 1_000;

export interface BotSession {
  /** Intent id of the menu last shown; a press on an older one re-renders the menu. */
  menuIntent?: string;
  dialog?: DialogState;
  /** History paging: the cursor of each page shown so far (page 1 has none). */
  historyCursors?: string[];
}

export interface UserFlavor {
  /** The Strongbox user of this Telegram account; undefined before /start. */
  user: UserRow | undefined;
}

export type BotContext = GatewayContext & I18nFlavor & SessionFlavor<BotSession> & UserFlavor;

/** What the flows call: other services over the bus, and the gateway's own settings. */
export interface FlowDeps {
  readonly namespace: string;
  readonly ledger: CommandClient;
  readonly chain: CommandClient;
  readonly flags: FlagWatcher;
  readonly buttons: SignedButtons<BotContext>;
  /** The asset the wallet holds (USDT). */
  readonly asset: Asset;
  /** The bot's @username, for referral links. */
  readonly botUsername: string;
  /** Exchange rates for fiat values on the balance screen; undefined when none are configured. */
  readonly rates: ExchangeRates | undefined;
  readonly logger: Logger;
}

/** Starts a dialog (replacing any other) at its first step. */
export function startDialog(ctx: BotContext, kind: string, step: string, data: Record<string, string> = {}): void {
  ctx.session.dialog = { kind, step, data, startedAt: Date.now() };
}

/** Moves the current dialog to `step`, adding answers. */
export function advanceDialog(ctx: BotContext, step: string, data: Record<string, string> = {}): void {
  const current = ctx.session.dialog;
  if (!current) throw new Error('advanceDialog: no dialog in progress');
  ctx.session.dialog = { ...current, step, data: { ...current.data, ...data } };
}

export function endDialog(ctx: BotContext): void {
  delete ctx.session.dialog;
}

/** The dialog in progress when it is of `kind` and not expired. */
export function activeDialog(ctx: BotContext, kind: string): DialogState | undefined {
  const dialog = ctx.session.dialog;
  if (!dialog || dialog.kind !== kind) return undefined;
  if (Date.now() - dialog.startedAt > DIALOG_TTL_MS) return undefined;
  return dialog;
}
