// Generates the event catalogue from the contracts lib: docs/events.md (for people) and
// docs/asyncapi.json (AsyncAPI 3.0, for tools). `npm run docs:events` writes both;
// tools/docs/event-catalogue.spec.ts fails when the committed files are stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { allEvents, CLOUDEVENTS_SPEC_VERSION, type EventDefinition } from '@strongbox/shared-contracts';

const STREAM_OF_CONTEXT: Record<string, string> = { bot: 'BOT', ledger: 'LEDGER', chain: 'CHAIN', notify: 'NOTIFY', admin: 'ADMIN' };

function dataSchema(definition: EventDefinition): Record<string, unknown> {
  return z.toJSONSchema(definition.schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
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
  const document = {
    asyncapi: '3.0.0',
    info: { title: 'Strongbox events', version: '1.0.0', description: 'Facts published by the Strongbox services on NATS JetStream.' },
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(eventsMarkdownPath, renderEventsMarkdown());
  writeFileSync(asyncApiPath, renderAsyncApi());
  console.log(`wrote ${eventsMarkdownPath} and ${asyncApiPath}`);
}
