import type { Context, MiddlewareFn } from 'grammy';
import type { DbExecutor } from '@strongbox/shared-db';

// ---------------------------------------------------------------------------------------------
// What a composer gets to make its database work exactly-once: the update's own transaction.
// ---------------------------------------------------------------------------------------------

/**
 * grammY context flavor of the bot-gateway: `ctx.tx` is the PostgreSQL transaction in which the
 * update's id was just recorded in the inbox. Every database write of a handler goes through it
 * (never a transaction of its own), so the effects and the "handled" mark commit together: a
 * redelivered update (crash after the commit, before the JetStream ack) finds the mark and runs no
 * handler at all. `ctx.updateKey` is the update's inbox key (`tg:<bot id>:<update id>`), a stable
 * idempotency key for commands the handler sends to other services.
 *
 * @example
 * composer.command('start', async (ctx) => {
 *   await registerUser(ctx.tx, { ... });   // commits with the inbox mark, or not at all
 *   await ctx.reply(ctx.t('welcome'));      // at-least-once: see ADR 11
 * });
 */
export interface UpdateTransactionFlavor {
  readonly tx: DbExecutor;
  readonly updateKey: string;
}

/** The context the gateway's bot runs with; composers may ask for less (`Context`). */
export type GatewayContext = Context & UpdateTransactionFlavor;

/** Where the worker leaves each update's transaction for the middleware; keyed by update id. */
export type UpdateTransactions = Map<number, { tx: DbExecutor; updateKey: string }>;

/**
 * The first middleware of the gateway's bot: attaches the update's transaction to the context.
 * An update that reaches grammY without one (not through the worker) fails loudly instead of
 * writing outside the inbox transaction.
 */
export function updateTransactionMiddleware(transactions: UpdateTransactions): MiddlewareFn<GatewayContext> {
  return async (ctx, next) => {
    const entry = transactions.get(ctx.update.update_id);
    if (entry === undefined) throw new Error(`update ${ctx.update.update_id} reached the bot outside its inbox transaction`);
    Object.defineProperty(ctx, 'tx', { value: entry.tx, enumerable: false });
    Object.defineProperty(ctx, 'updateKey', { value: entry.updateKey, enumerable: false });
    await next();
  };
}
