// Table-driven: the ingress settings of the bot-gateway's config — webhook mode refuses to start
// without its URL or secret (naming each), polling needs neither, and the webhook values are
// checked strictly.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@strongbox/shared-config';
import { botGatewayConfigSchema } from './config';

const base = {
  DATABASE_URL: 'postgres://strongbox@127.0.0.1:5432/strongbox',
  BOT_TOKEN: '123456:AAabcdefghijklmnopqrstuvwxyz0123456',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(botGatewayConfigSchema, { ...base, ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

describe('bot-gateway ingress config', () => {
  it('polling needs no webhook settings, and is the default', () => {
    expect(problemsOf({})).toEqual([]);
    expect(loadConfig(botGatewayConfigSchema, base).TELEGRAM_INGRESS).toBe('polling');
  });

  it('webhook with URL and secret loads', () => {
    const config = loadConfig(botGatewayConfigSchema, {
      ...base,
      TELEGRAM_INGRESS: 'webhook',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/webhook',
      TELEGRAM_WEBHOOK_SECRET: 'abcdefghijklmnopqrstuvwxyz_-0123',
    });
    expect(config.TELEGRAM_WEBHOOK_PORT).toBe(8443);
  });

  it.each([
    ['no URL, no secret', {}, ['TELEGRAM_WEBHOOK_URL', 'TELEGRAM_WEBHOOK_SECRET']],
    ['no secret', { TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook' }, ['TELEGRAM_WEBHOOK_SECRET']],
    ['no URL', { TELEGRAM_WEBHOOK_SECRET: 'abcdefghijklmnopqrstuvwxyz' }, ['TELEGRAM_WEBHOOK_URL']],
  ])('webhook with %s: refused, naming what is missing', (_name, env, missing) => {
    const problems = problemsOf({ TELEGRAM_INGRESS: 'webhook', ...env });
    expect(problems).toHaveLength(missing.length);
    for (const key of missing) expect(problems.some((problem) => problem.startsWith(key))).toBe(true);
  });

  it.each([
    ['TELEGRAM_INGRESS', 'push'],
    ['TELEGRAM_WEBHOOK_SECRET', 'has spaces in it'],
    ['TELEGRAM_WEBHOOK_URL', 'ftp://bot.example.com/hook'],
    ['TELEGRAM_WEBHOOK_PATH', 'no-leading-slash'],
    ['TELEGRAM_WEBHOOK_PORT', '0'],
    ['TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS', '1e3'],
    ['TELEGRAM_UPDATE_PARTITIONS', '65'],
    ['TELEGRAM_UPDATE_ACK_WAIT_MS', '999'],
  ])('%s=%s is refused', (key, value) => {
    const problems = problemsOf({ [key]: value });
    expect(problems.some((problem) => problem.startsWith(key))).toBe(true);
  });

  it('never echoes the webhook secret in a problem', () => {
    const problems = problemsOf({ TELEGRAM_WEBHOOK_SECRET: 'secret with spaces s3cr3t' });
    expect(problems.join('\n')).not.toContain('s3cr3t');
  });
});
