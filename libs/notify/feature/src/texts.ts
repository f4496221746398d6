import type { I18n } from '@grammyjs/i18n';
import { FormattedString } from '@grammyjs/parse-mode';
import type { LanguageCode, SupportRequestCategory, SupportRequestStatus } from '@strongbox/shared-contracts';
import { formatMoney, type AssetBook } from './assets';
import { renderText, type Piece, type RenderedText } from './render';

/** Every user notification the notifier renders; the name is also the `template` column and the Fluent key after `notify-`. */
export const Templates = {
  welcome: 'welcome',
  depositDetected: 'deposit-detected',
  depositConfirmed: 'deposit-confirmed',
  depositReverted: 'deposit-reverted',
  withdrawalHeld: 'withdrawal-held',
  withdrawalAwaitingApproval: 'withdrawal-awaiting-approval',
  withdrawalApproved: 'withdrawal-approved',
  withdrawalCompleted: 'withdrawal-completed',
  withdrawalFailed: 'withdrawal-failed',
  withdrawalRejected: 'withdrawal-rejected',
  withdrawalCancelled: 'withdrawal-cancelled',
  transferReceived: 'transfer-received',
  planAccrued: 'plan-accrued',
  planMatured: 'plan-matured',
  referralReward: 'referral-reward',
  supportStatus: 'support-status',
  nodeDown: 'node-down',
  nodeUp: 'node-up',
  recoveryApprovedNew: 'recovery-approved-new',
  recoveryApprovedPrevious: 'recovery-approved-previous',
  recoveryRejectedNew: 'recovery-rejected-new',
  recoveryRejectedPrevious: 'recovery-rejected-previous',
  opsAlert: 'ops-alert',
  broadcast: 'broadcast',
} as const;
export type Template = (typeof Templates)[keyof typeof Templates];

/** Longer detail values are cut so the 16 details an alert may carry fit one Telegram message. */
const ALERT_DETAIL_SHOWN_MAX = 150;

interface Amount {
  readonly asset: string;
  /** Minor units, as the event carries them. */
  readonly amount: string;
}

/** Shows a withdrawal's or a request's id the way support asks for it: the first block of the uuid. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * The texts of every notification in one language, rendered with entities: amounts bold, addresses
 * and hashes as code, anything a person typed (a rejection reason) as plain text.
 */
export function createTexts(i18n: I18n, assets: AssetBook) {
  const render = (locale: LanguageCode, template: Template, input: Parameters<typeof renderText>[3] = {}): RenderedText =>
    renderText(i18n, locale, `notify-${template}`, input);
  const money = (value: Amount): Piece => ({ text: formatMoney(assets, value.asset, value.amount), style: 'bold' });
  const code = (text: string): Piece => ({ text, style: 'code' });
  const plain = (text: string): Piece => ({ text });

  return {
    welcome: (locale: LanguageCode) => render(locale, Templates.welcome),
    depositDetected: (locale: LanguageCode, value: Amount & { requiredConfirmations: number }) =>
      render(locale, Templates.depositDetected, { vars: { confirmations: value.requiredConfirmations }, pieces: { amount: money(value) } }),
    depositConfirmed: (locale: LanguageCode, value: Amount) => render(locale, Templates.depositConfirmed, { pieces: { amount: money(value) } }),
    depositReverted: (locale: LanguageCode, value: Amount) => render(locale, Templates.depositReverted, { pieces: { amount: money(value) } }),
    withdrawalHeld: (locale: LanguageCode, value: Amount & { fee: string; toAddress: string }) =>
      render(locale, Templates.withdrawalHeld, {
        pieces: { amount: money(value), fee: money({ asset: value.asset, amount: value.fee }), address: code(value.toAddress) },
      }),
    withdrawalAwaitingApproval: (locale: LanguageCode, value: Amount & { toAddress: string }) =>
      render(locale, Templates.withdrawalAwaitingApproval, { pieces: { amount: money(value), address: code(value.toAddress) } }),
    withdrawalApproved: (locale: LanguageCode, value: Amount & { toAddress: string }) =>
      render(locale, Templates.withdrawalApproved, { pieces: { amount: money(value), address: code(value.toAddress) } }),
    withdrawalCompleted: (locale: LanguageCode, value: Amount & { toAddress: string; txHash: string }) =>
      render(locale, Templates.withdrawalCompleted, { pieces: { amount: money(value), address: code(value.toAddress), txHash: code(value.txHash) } }),
    withdrawalFailed: (locale: LanguageCode, value: Amount & { reason: 'reverted' | 'dropped' | 'rejected' }) =>
      render(locale, Templates.withdrawalFailed, { vars: { reason: value.reason }, pieces: { amount: money(value) } }),
    withdrawalRejected: (locale: LanguageCode, value: Amount & { reason: string }) =>
      render(locale, Templates.withdrawalRejected, { pieces: { amount: money(value), reason: plain(value.reason) } }),
    withdrawalCancelled: (locale: LanguageCode, value: Amount) => render(locale, Templates.withdrawalCancelled, { pieces: { amount: money(value) } }),
    transferReceived: (locale: LanguageCode, value: Amount) => render(locale, Templates.transferReceived, { pieces: { amount: money(value) } }),
    planAccrued: (locale: LanguageCode, value: Amount & { accruedTotal: string }) =>
      render(locale, Templates.planAccrued, { pieces: { amount: money(value), total: money({ asset: value.asset, amount: value.accruedTotal }) } }),
    planMatured: (locale: LanguageCode, value: { asset: string; principal: string; accruedTotal: string }) =>
      render(locale, Templates.planMatured, {
        pieces: { principal: money({ asset: value.asset, amount: value.principal }), total: money({ asset: value.asset, amount: value.accruedTotal }) },
      }),
    referralReward: (locale: LanguageCode, value: Amount) => render(locale, Templates.referralReward, { pieces: { amount: money(value) } }),
    supportStatus: (locale: LanguageCode, value: { requestId: string; category: SupportRequestCategory; status: SupportRequestStatus }) =>
      render(locale, Templates.supportStatus, {
        vars: { category: value.category, status: value.status },
        pieces: { request: code(`#${shortId(value.requestId)}`) },
      }),
    nodeDown: (locale: LanguageCode) => render(locale, Templates.nodeDown),
    nodeUp: (locale: LanguageCode) => render(locale, Templates.nodeUp),
    recoveryApprovedNew: (locale: LanguageCode) => render(locale, Templates.recoveryApprovedNew),
    recoveryApprovedPrevious: (locale: LanguageCode) => render(locale, Templates.recoveryApprovedPrevious),
    recoveryRejectedNew: (locale: LanguageCode, value: { reason: string | null }) =>
      render(locale, Templates.recoveryRejectedNew, {
        vars: { reason: value.reason === null ? 'none' : 'given' },
        pieces: { reasonText: plain(value.reason ?? '') },
      }),
    recoveryRejectedPrevious: (locale: LanguageCode) => render(locale, Templates.recoveryRejectedPrevious),
    /** An ops alert, in English (the ops chat's language): header, then each detail on its own line, then how often it repeated. */
    opsAlert: (value: { severity: string; code: string; service: string; summary: string; details: Readonly<Record<string, string>>; repeats: number }): RenderedText => {
      const header = render('en', Templates.opsAlert, {
        vars: { severity: value.severity },
        pieces: { code: { text: value.code, style: 'bold' }, service: plain(value.service), summary: plain(value.summary) },
      });
      const lines = [new FormattedString(header.text, header.entities)];
      for (const [name, detail] of Object.entries(value.details)) lines.push(FormattedString.join([`${name}: `, FormattedString.code(detail.slice(0, ALERT_DETAIL_SHOWN_MAX))]));
      if (value.repeats > 0) lines.push(new FormattedString(renderText(i18n, 'en', 'notify-ops-alert-repeats', { vars: { count: value.repeats } }).text));
      const joined = FormattedString.join(lines, '\n');
      return { text: joined.text, entities: joined.entities };
    },
  };
}

export type Texts = ReturnType<typeof createTexts>;
