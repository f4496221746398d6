// Generates the bus catalogue from the contracts lib: docs/events.md and docs/commands.md (for
// people) and docs/asyncapi.json (AsyncAPI 3.0, events and request/reply commands, for tools).
// `npm run docs:events` writes them; tools/docs/event-catalogue.spec.ts fails when they are stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  allCommands,
  allEvents,
  CLOUDEVENTS_SPEC_VERSION,
  CommandErrorCodes,
  type CommandDefinition,
  type EventDefinition,
} from '@strongbox/shared-contracts';

const STREAM_OF_CONTEXT: Record<string, string> = { bot: 'BOT', ledger: 'LEDGER', chain: 'CHAIN', notify: 'NOTIFY', admin: 'ADMIN' };

function dataSchema(definition: EventDefinition): Record<string, unknown> {
  return jsonSchema(definition.schema, 'output');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The reply envelope every command answers with, around its result schema. */
function replySchema(command: CommandDefinition): Record<string, unknown> {
  return {
    oneOf: [
      { type: 'object', required: ['ok', 'result'], properties: { ok: { const: true }, result: jsonSchema(command.response, 'input') } },
      {
        type: 'object',
        required: ['ok', 'error'],
        properties: {
          ok: { const: false },
          error: {
            type: 'object',
            required: ['code', 'message', 'retryable'],
            properties: {
              code: { enum: [...Object.values(CommandErrorCodes), ...command.errors] },
              message: { type: 'string' },
              retryable: { type: 'boolean' },
              details: { type: 'object' },
            },
          },
        },
      },
    ],
  };
}

/** The Markdown list of commands. */
export function renderCommandsMarkdown(): string {
  const lines = [
    '# Command catalogue',
    '',
    'Generated from `libs/shared/contracts` by `npm run docs:events`; do not edit by hand.',
    '',
    'A command asks the service that owns the data to decide something. It is a NATS request/reply (not',
    'stored in a stream) on `<namespace>.<type>`; the request is the JSON object below, the reply is',
    '`{"ok": true, "result": …}` or `{"ok": false, "error": {"code", "message", "retryable", "details"}}`.',
    'Amounts are decimal strings of minor units. A command that moves money needs an `idempotencyKey`:',
    'retrying with the same key and body returns the first answer (a failure stays a failure), the same key',
    'with another body is refused. `retryable: true` means the same request may succeed later.',
    `Errors any command may answer: ${Object.values(CommandErrorCodes).map((code) => `\`${code}\``).join(', ')}.`,
    '',
    '| type | idempotent | summary |',
    '|---|---|---|',
    ...allCommands.map((command) => `| [\`${command.type}\`](#${command.type.replace(/\./g, '')}) | ${command.idempotent ? 'yes' : 'no'} | ${command.description.split('. ')[0]} |`),
    '',
  ];
  for (const command of allCommands) {
    lines.push(
      `## ${command.type}`,
      '',
      command.description,
      '',
      `- subject: \`<namespace>.${command.type}\``,
      `- errors: ${command.errors.length > 0 ? command.errors.map((code) => `\`${code}\``).join(', ') : 'only the generic ones'}`,
      '',
      'Request:',
      '',
      '```json',
      JSON.stringify(jsonSchema(command.request, 'input'), null, 2),
      '```',
      '',
      'Result:',
      '',
      '```json',
      JSON.stringify(jsonSchema(command.response, 'input'), null, 2),
      '```',
      '',
    );
  }
  return lines.join('\n');
}

/** The Markdown catalogue. */
export function renderEventsMarkdown(): string {
  const lines = [
    '# Event catalogue',
    '',
    'Generated from `libs/shared/contracts` by `npm run docs:events`; do not edit by hand.',
    '',
    `Every event is a CloudEvents ${CLOUDEVENTS_SPEC_VERSION} envelope in structured JSON mode, published on`,
    'NATS JetStream at subject `<namespace>.<type>` (namespace: `STRONGBOX_NAMESPACE`, default `sb`) with',
    '`Nats-Msg-Id` = the event `id` (UUIDv7, or derived from a natural key), and a `traceparent` header.',
    'Envelope attributes: `specversion`, `id`, `source` (`strongbox/<service>`), `type`, `time` (RFC 3339),',
    '`subject` (the aggregate id), `datacontenttype` (`application/json`), `dataschema`, `data`.',
    '',
    'To subscribe, create a durable pull consumer on the stream with the subject as filter, ack after your',
    'own transaction commits, and de-duplicate by `id` (delivery is at least once).',
    '',
    '| type | stream | summary |',
    '|---|---|---|',
    ...allEvents.map((event) => `| [\`${event.type}\`](#${event.type.replace(/\./g, '')}) | \`<NS>_${STREAM_OF_CONTEXT[event.context]}\` | ${event.description.split('. ')[0]} |`),
    '',
  ];
  for (const event of allEvents) {
    lines.push(
      `## ${event.type}`,
      '',
      event.description,
      '',
      `- subject: \`<namespace>.${event.type}\``,
      `- stream: \`<NS>_${STREAM_OF_CONTEXT[event.context]}\``,
      `- dataschema: \`${event.dataschema}\``,
      '',
      '```json',
      JSON.stringify(dataSchema(event), null, 2),
      '```',
      '',
    );
  }
  return lines.join('\n');
}

/** The AsyncAPI 3.0 document. */
export function renderAsyncApi(): string {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const event of allEvents) {
    const id = event.type.replace(/[.-]/g, '_');
    messages[id] = {
      name: event.type,
      title: event.type,
      summary: event.description,
      contentType: 'application/cloudevents+json',
      payload: {
        type: 'object',
        required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'dataschema', 'data'],
        properties: {
          specversion: { const: CLOUDEVENTS_SPEC_VERSION },
          id: { type: 'string' },
          source: { type: 'string' },
          type: { const: event.type },
          time: { type: 'string', format: 'date-time' },
          subject: { type: 'string' },
          datacontenttype: { const: 'application/json' },
          dataschema: { const: event.dataschema },
          data: dataSchema(event),
        },
      },
    };
    channels[id] = { address: `{namespace}.${event.type}`, parameters: { namespace: { default: 'sb' } }, messages: { [id]: { $ref: `#/components/messages/${id}` } } };
    operations[`receive_${id}`] = { action: 'receive', channel: { $ref: `#/channels/${id}` } };
  }
  for (const command of allCommands) {
    const id = command.type.replace(/[.-]/g, '_');
    messages[`${id}_request`] = { name: `${command.type} request`, title: command.type, summary: command.description, contentType: 'application/json', payload: jsonSchema(command.request, 'input') };
    messages[`${id}_reply`] = { name: `${command.type} reply`, title: `${command.type} reply`, contentType: 'application/json', payload: replySchema(command) };
    channels[id] = {
      address: `{namespace}.${command.type}`,
      parameters: { namespace: { default: 'sb' } },
      messages: { request: { $ref: `#/components/messages/${id}_request` }, reply: { $ref: `#/components/messages/${id}_reply` } },
    };
    operations[`send_${id}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/request` }],
      reply: { channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/reply` }] },
    };
  }
  const document = {
    asyncapi: '3.0.0',
    info: {
      title: 'Strongbox bus',
      version: '1.0.0',
      description: 'Facts published by the Strongbox services on NATS JetStream, and the commands they answer over NATS request/reply.',
    },
    defaultContentType: 'application/cloudevents+json',
    servers: { nats: { host: '127.0.0.1:4222', protocol: 'nats' } },
    channels,
    operations,
    components: { messages },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export const eventsMarkdownPath = fileURLToPath(new URL('../../docs/events.md', import.meta.url));
export const asyncApiPath = fileURLToPath(new URL('../../docs/asyncapi.json', import.meta.url));
export const commandsMarkdownPath = fileURLToPath(new URL('../../docs/commands.md', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(eventsMarkdownPath, renderEventsMarkdown());
  writeFileSync(commandsMarkdownPath, renderCommandsMarkdown());
  writeFileSync(asyncApiPath, renderAsyncApi());
  console.log(`wrote ${eventsMarkdownPath}, ${commandsMarkdownPath} and ${asyncApiPath}`);
}
