import { describe, expect, it } from 'vitest';
import { createI18n } from '@strongbox/shared-i18n';
import type { LanguageCode } from '@strongbox/shared-contracts';
import { parseAssetDecimals } from './assets';
import { renderText, RenderError, type RenderedText } from './render';
import { createTexts, Templates } from './texts';

const i18n = createI18n();
const texts = createTexts(i18n, parseAssetDecimals('USDT:6,DAI:18'));
const amount = { asset: 'USDT', amount: '1500000' };
const address = '0x00000000000000000000000000000000000000aB';
const txHash = `0x${'ab'.repeat(32)}`;
// Everything Markdown or HTML would read as markup, plus a marker-like private-use character.
const hostile = '*bold* _x_ [link](http://e.com) <b>x</b> `c` \\ \uE0001\uE001 {$amount}';

/** The slice an entity covers. */
function covered(rendered: RenderedText, type: string): string[] {
  return rendered.entities.filter((entity) => entity.type === type).map((entity) => rendered.text.slice(entity.offset, entity.offset + entity.length));
}

const byTemplate: Record<string, (locale: LanguageCode) => RenderedText> = {
  [Templates.welcome]: (l) => texts.welcome(l),
  [Templates.depositDetected]: (l) => texts.depositDetected(l, { ...amount, requiredConfirmations: 12 }),
  [Templates.depositConfirmed]: (l) => texts.depositConfirmed(l, amount),
  [Templates.depositReverted]: (l) => texts.depositReverted(l, amount),
  [Templates.withdrawalHeld]: (l) => texts.withdrawalHeld(l, { ...amount, fee: '1000000', toAddress: address }),
  [Templates.withdrawalAwaitingApproval]: (l) => texts.withdrawalAwaitingApproval(l, { ...amount, toAddress: address }),
  [Templates.withdrawalApproved]: (l) => texts.withdrawalApproved(l, { ...amount, toAddress: address }),
  [Templates.withdrawalCompleted]: (l) => texts.withdrawalCompleted(l, { ...amount, toAddress: address, txHash }),
  [Templates.withdrawalFailed]: (l) => texts.withdrawalFailed(l, { ...amount, reason: 'dropped' }),
  [Templates.withdrawalRejected]: (l) => texts.withdrawalRejected(l, { ...amount, reason: 'Wrong network' }),
  [Templates.withdrawalCancelled]: (l) => texts.withdrawalCancelled(l, amount),
  [Templates.transferReceived]: (l) => texts.transferReceived(l, amount),
  [Templates.planAccrued]: (l) => texts.planAccrued(l, { ...amount, accruedTotal: '4500000' }),
  [Templates.planMatured]: (l) => texts.planMatured(l, { asset: 'USDT', principal: '100000000', accruedTotal: '0' }),
  [Templates.referralReward]: (l) => texts.referralReward(l, amount),
  [Templates.supportStatus]: (l) => texts.supportStatus(l, { requestId: '0192a1b2-0000-7000-8000-000000000000', category: 'withdrawal', status: 'in_progress' }),
  [Templates.nodeDown]: (l) => texts.nodeDown(l),
  [Templates.nodeUp]: (l) => texts.nodeUp(l),
  [Templates.recoveryApprovedNew]: (l) => texts.recoveryApprovedNew(l),
  [Templates.recoveryApprovedPrevious]: (l) => texts.recoveryApprovedPrevious(l),
  [Templates.recoveryRejectedNew]: (l) => texts.recoveryRejectedNew(l, { reason: 'Code mismatch' }),
  [Templates.recoveryRejectedPrevious]: (l) => texts.recoveryRejectedPrevious(l),
};

describe('notification texts', () => {
  it('has a rendering case for every user template', () => {
    const userTemplates = Object.values(Templates).filter((name) => name !== Templates.opsAlert && name !== Templates.broadcast);
    expect(Object.keys(byTemplate).sort()).toEqual([...userTemplates].sort());
  });

  for (const [template, render] of Object.entries(byTemplate)) {
    it(`renders ${template} in English and Russian, differently, with valid entities`, () => {
      const en = render('en');
      const ru = render('ru');
      for (const rendered of [en, ru]) {
        expect(rendered.text.length).toBeGreaterThan(0);
        expect(rendered.text).not.toMatch(/[\uE000\uE001]\d*[\uE000\uE001]|\{\$|notify-/u);
        for (const entity of rendered.entities) expect(entity.offset + entity.length).toBeLessThanOrEqual(rendered.text.length);
      }
      expect(en.text).not.toBe(ru.text);
      expect(ru.text).toMatch(/[а-яё]/i);
      expect(en.text).not.toMatch(/[а-яё]/i);
    });
  }

  it('shows amounts bold in the asset decimals, addresses and hashes as code', () => {
    const rendered = texts.withdrawalCompleted('ru', { ...amount, toAddress: address, txHash });
    expect(covered(rendered, 'bold')).toEqual(['1.5 USDT']);
    expect(covered(rendered, 'code')).toEqual([address, txHash]);
    expect(covered(texts.depositConfirmed('en', { asset: 'DAI', amount: '1' }), 'bold')).toEqual(['0.000000000000000001 DAI']);
  });

  it('uses Russian plural forms for confirmations', () => {
    expect(texts.depositDetected('ru', { ...amount, requiredConfirmations: 1 }).text).toContain('1 подтверждения');
    expect(texts.depositDetected('ru', { ...amount, requiredConfirmations: 12 }).text).toContain('12 подтверждений');
    expect(texts.depositDetected('en', { ...amount, requiredConfirmations: 1 }).text).toContain('1 confirmation ');
  });

  it('places a typed string verbatim, never as markup, with the entities after it still in place', () => {
    for (const locale of ['en', 'ru'] as const) {
      const rendered = texts.withdrawalRejected(locale, { ...amount, reason: hostile });
      expect(rendered.text).toContain(hostile);
      expect(covered(rendered, 'bold')).toEqual(['1.5 USDT']);
      expect(rendered.entities.map((entity) => entity.type)).toEqual(['bold']);
      const recovery = texts.recoveryRejectedNew(locale, { reason: hostile });
      expect(recovery.text.endsWith(hostile)).toBe(true);
      expect(recovery.entities).toEqual([]);
    }
  });

  it('leaves out a missing reason without a trace', () => {
    expect(texts.recoveryRejectedNew('en', { reason: null }).text).toBe('Account recovery was declined.');
    expect(texts.recoveryRejectedNew('ru', { reason: null }).text).toBe('В восстановлении доступа отказано.');
  });

  it('counts entity offsets in UTF-16 units after emoji and Cyrillic', () => {
    const rendered = texts.withdrawalRejected('ru', { ...amount, reason: '😀😀' });
    const [bold] = rendered.entities;
    expect(bold && rendered.text.slice(bold.offset, bold.offset + bold.length)).toBe('1.5 USDT');
  });

  it('refuses an asset without configured decimals, an unknown key, and a text over 4096 characters', () => {
    expect(() => texts.depositConfirmed('en', { asset: 'XYZ', amount: '1' })).toThrow(/NOTIFY_ASSET_DECIMALS/);
    expect(() => renderText(i18n, 'en', 'notify-no-such-text')).toThrow(RenderError);
    expect(() => texts.withdrawalRejected('en', { ...amount, reason: 'x'.repeat(4_096) })).toThrow(RenderError);
  });

  it('renders an ops alert in English with its details as code and the repeats counted', () => {
    const rendered = texts.opsAlert({ severity: 'critical', code: 'LEDGER_INVARIANT_VIOLATED', service: 'ledger', summary: hostile, details: { account: 'a-1' }, repeats: 3 });
    expect(rendered.text).toBe(`CRITICAL LEDGER_INVARIANT_VIOLATED from ledger: ${hostile}\naccount: a-1\n(repeated 3 more times in the last window)`);
    expect(covered(rendered, 'bold')).toEqual(['LEDGER_INVARIANT_VIOLATED']);
    expect(covered(rendered, 'code')).toEqual(['a-1']);
  });
});

describe('parseAssetDecimals', () => {
  it.each(['', 'USDT', 'usdt:6', 'USDT:6,USDT:6', 'USDT:x', 'USDT:100'])('refuses %j', (text) => {
    expect(() => parseAssetDecimals(text)).toThrow();
  });
});
