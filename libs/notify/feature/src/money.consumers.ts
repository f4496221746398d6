import {
  depositConfirmedV1,
  depositDetectedV1,
  depositRevertedV1,
  planDepositAccruedV1,
  planDepositMaturedV1,
  referralRewardPaidV1,
  transferPostedV1,
  withdrawalApprovedV1,
  withdrawalCancelledV1,
  withdrawalCompletedV1,
  withdrawalFailedV1,
  withdrawalRejectedV1,
  withdrawalRequestedV1,
} from '@strongbox/shared-contracts';
import type { DatabaseHandle, DbExecutor } from '@strongbox/shared-db';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import { closePendingOperation, existingNotificationIds, NotificationPriority, openPendingOperation } from '@strongbox/notify-data-access';
import { consumeEventsOnce } from './consume';
import { notificationId, notifyUser } from './notify-user';
import { Templates, type Template, type Texts } from './texts';

const money = NotificationPriority.money;

async function alreadyQueued(tx: DbExecutor, key: string, templates: readonly Template[]): Promise<boolean> {
  const existing = await existingNotificationIds(tx, templates.map((template) => notificationId(key, template)));
  return existing.size > 0;
}

/**
 * Money notifications: deposits (chain-watcher), withdrawals, internal transfers received, savings
 * plan interest and maturity, referral rewards (ledger). Each id is `<business key>:<template>`,
 * so an event re-published under a new id enqueues nothing new. Deposits and withdrawals are each
 * consumed under one durable, in publish order, and keep `pending_operations` (who hears about node
 * outages).
 */
export async function startMoneyConsumers<TConfig extends RuntimeConfig>(context: ServiceContext<TConfig>, database: DatabaseHandle, texts: Texts): Promise<void> {
  const { namespace } = context;

  await consumeEventsOnce(
    context,
    database,
    [depositDetectedV1, depositConfirmedV1, depositRevertedV1],
    {
      action: 'tell-deposit',
      eventName: 'deposit-events',
      filterSubject: `${namespace}.chain.evt.deposit.>`,
      description: 'Tells users of deposits seen, confirmed and reverted; tracks unconfirmed deposits as pending operations',
    },
    async (tx, event) => {
      const { data } = event;
      const key = `deposit:${data.chainId}:${data.txHash}:${data.logIndex}`;
      const common = { userId: data.userId, key, priority: money, causationId: event.id };
      switch (event.type) {
        case depositDetectedV1.type: {
          const detected = depositDetectedV1.schema.parse(data);
          // A dust deposit is never confirmed: "waiting for confirmations" would promise what will not come.
          if (detected.belowDustMinimum) return;
          // A detection re-published after the outcome must not reopen the operation nor follow the outcome's message.
          if (await alreadyQueued(tx, key, [Templates.depositConfirmed, Templates.depositReverted])) return;
          await openPendingOperation(tx, data.userId, key);
          await notifyUser(tx, { ...common, template: Templates.depositDetected, text: (locale) => texts.depositDetected(locale, detected) });
          return;
        }
        case depositConfirmedV1.type:
          await closePendingOperation(tx, data.userId, key);
          await notifyUser(tx, { ...common, template: Templates.depositConfirmed, text: (locale) => texts.depositConfirmed(locale, data) });
          return;
        case depositRevertedV1.type:
          await closePendingOperation(tx, data.userId, key);
          await notifyUser(tx, { ...common, template: Templates.depositReverted, text: (locale) => texts.depositReverted(locale, data) });
          return;
      }
    },
  );

  await consumeEventsOnce(
    context,
    database,
    [withdrawalRequestedV1, withdrawalApprovedV1, withdrawalRejectedV1, withdrawalCancelledV1, withdrawalCompletedV1, withdrawalFailedV1],
    {
      action: 'tell-withdrawal',
      eventName: 'withdrawal-events',
      filterSubject: `${namespace}.ledger.evt.withdrawal.>`,
      description: "Tells users each step of their withdrawals; tracks withdrawals in flight as pending operations",
    },
    async (tx, event) => {
      const key = `withdrawal:${event.data.withdrawalId}`;
      const common = { userId: event.data.userId, key, priority: money, causationId: event.id };
      const finals: readonly Template[] = [Templates.withdrawalCompleted, Templates.withdrawalFailed, Templates.withdrawalRejected, Templates.withdrawalCancelled];
      const close = (): Promise<void> => closePendingOperation(tx, event.data.userId, key);
      switch (event.type) {
        case withdrawalRequestedV1.type: {
          const requested = withdrawalRequestedV1.schema.parse(event.data);
          if (await alreadyQueued(tx, key, finals)) return;
          await openPendingOperation(tx, requested.userId, key);
          if (requested.state === 'held') {
            await notifyUser(tx, { ...common, template: Templates.withdrawalHeld, text: (locale) => texts.withdrawalHeld(locale, requested) });
          } else {
            await notifyUser(tx, { ...common, template: Templates.withdrawalAwaitingApproval, text: (locale) => texts.withdrawalAwaitingApproval(locale, requested) });
          }
          return;
        }
        case withdrawalApprovedV1.type:
          // Only a withdrawal the user was told is under review gets "approved"; one that needed no review was told "accepted".
          if (!(await alreadyQueued(tx, key, [Templates.withdrawalAwaitingApproval])) || (await alreadyQueued(tx, key, finals))) return;
          await notifyUser(tx, { ...common, template: Templates.withdrawalApproved, text: (locale) => texts.withdrawalApproved(locale, event.data) });
          return;
        case withdrawalRejectedV1.type: {
          const rejected = withdrawalRejectedV1.schema.parse(event.data);
          await close();
          await notifyUser(tx, { ...common, template: Templates.withdrawalRejected, text: (locale) => texts.withdrawalRejected(locale, rejected) });
          return;
        }
        case withdrawalCancelledV1.type:
          await close();
          await notifyUser(tx, { ...common, template: Templates.withdrawalCancelled, text: (locale) => texts.withdrawalCancelled(locale, event.data) });
          return;
        case withdrawalCompletedV1.type: {
          const completed = withdrawalCompletedV1.schema.parse(event.data);
          await close();
          await notifyUser(tx, { ...common, template: Templates.withdrawalCompleted, text: (locale) => texts.withdrawalCompleted(locale, completed) });
          return;
        }
        case withdrawalFailedV1.type: {
          const failed = withdrawalFailedV1.schema.parse(event.data);
          await close();
          await notifyUser(tx, { ...common, template: Templates.withdrawalFailed, text: (locale) => texts.withdrawalFailed(locale, failed) });
          return;
        }
      }
    },
  );

  await consumeEventsOnce(context, database, [transferPostedV1], { action: 'tell-transfer-received', description: 'Tells the receiving user of an internal transfer' }, async (tx, event) => {
    const { data } = event;
    const settles = data.kind === 'single' || data.kind === 'post_pending';
    const receiver = data.credit.userId;
    if (data.code !== 'internal_transfer' || !settles || data.credit.kind !== 'user_available' || receiver === null || receiver === data.debit.userId) return;
    await notifyUser(tx, {
      userId: receiver,
      key: `transfer:${data.transferId}`,
      template: Templates.transferReceived,
      priority: money,
      causationId: event.id,
      text: (locale) => texts.transferReceived(locale, data),
    });
  });

  await consumeEventsOnce(context, database, [planDepositAccruedV1], { action: 'tell-plan-accrued', description: "Tells users of each day's plan interest" }, (tx, event) =>
    notifyUser(tx, {
      userId: event.data.userId,
      key: `plan:${event.data.depositId}:${event.data.day}`,
      template: Templates.planAccrued,
      priority: money,
      causationId: event.id,
      text: (locale) => texts.planAccrued(locale, event.data),
    }),
  );

  await consumeEventsOnce(context, database, [planDepositMaturedV1], { action: 'tell-plan-matured', description: 'Tells users a plan deposit matured' }, (tx, event) =>
    notifyUser(tx, {
      userId: event.data.userId,
      key: `plan:${event.data.depositId}`,
      template: Templates.planMatured,
      priority: money,
      causationId: event.id,
      text: (locale) => texts.planMatured(locale, event.data),
    }),
  );

  await consumeEventsOnce(context, database, [referralRewardPaidV1], { action: 'tell-referral-reward', description: 'Tells referrers of the reward paid' }, (tx, event) =>
    notifyUser(tx, {
      userId: event.data.referrerUserId,
      key: `referral:${event.data.referredUserId}`,
      template: Templates.referralReward,
      priority: money,
      causationId: event.id,
      text: (locale) => texts.referralReward(locale, event.data),
    }),
  );
}
