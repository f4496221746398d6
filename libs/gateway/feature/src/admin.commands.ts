import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import { BotCommandErrors, changeSupportStatusV1, decideRecoveryV1, type SupportRequestCategory, type SupportRequestStatus } from '@strongbox/shared-contracts';
import type { Database } from '@strongbox/shared-db';
import { CommandError, commandRoute, serveCommands, type AnyCommandRoute, type CommandServer } from '@strongbox/shared-messaging';
import { changeSupportStatus, decideRecovery, GatewayError, GatewayErrorCodes, type gatewaySchema } from '@strongbox/gateway-data-access';

/** Gateway refusals that are final for this request (the same request will be refused again). */
const FINAL_CODES = new Set<string>([GatewayErrorCodes.notFound, GatewayErrorCodes.transitionRefused, GatewayErrorCodes.alreadyDecided, GatewayErrorCodes.recoveryConflict]);

/** Turns the data access's refusals into command errors; anything else means the database failed: retryable. */
function asCommandError(error: unknown): never {
  if (error instanceof GatewayError && FINAL_CODES.has(error.code)) throw new CommandError(error.code, error.message, { retryable: false });
  throw new CommandError(BotCommandErrors.unavailable, 'the bot-gateway cannot answer right now; retry later', { retryable: true, cause: error });
}

/**
 * Serves the admin commands on the records the gateway owns: support request status changes and
 * recovery decisions. Each runs in one transaction with its event (outbox).
 */
export async function serveGatewayAdminCommands(options: {
  nc: NatsConnection;
  namespace: string;
  database: Database<typeof gatewaySchema>;
  logger: Logger;
  registry?: Registry;
}): Promise<CommandServer> {
  const { database, namespace } = options;
  const routes: AnyCommandRoute[] = [
    commandRoute(changeSupportStatusV1, async (request) => {
      const { row, changed } = await database.db
        .transaction((tx) => changeSupportStatus(tx, { namespace, requestId: request.requestId, to: request.to, adminId: request.adminId }), { isolationLevel: 'read committed' })
        .catch(asCommandError);
      return {
        requestId: row.id,
        userId: row.userId,
        category: row.category as SupportRequestCategory,
        status: row.status as SupportRequestStatus,
        changed,
        changedAt: row.updatedAt.toISOString(),
      };
    }),
    commandRoute(decideRecoveryV1, async (request) => {
      const { request: row, changed } = await database.db
        .transaction(
          (tx) => decideRecovery(tx, { namespace, requestId: request.requestId, decision: request.decision, adminId: request.adminId, reason: request.reason }),
          { isolationLevel: 'read committed' },
        )
        .catch(asCommandError);
      return {
        requestId: row.id,
        userId: row.userId,
        decision: row.status === 'approved' ? ('approved' as const) : ('rejected' as const),
        changed,
        decidedAt: (row.decidedAt ?? new Date()).toISOString(),
      };
    }),
  ];
  return serveCommands({
    nc: options.nc,
    namespace,
    queue: 'bot-gateway',
    routes,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
  });
}
