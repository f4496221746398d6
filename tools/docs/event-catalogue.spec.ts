// Proves the committed event catalogue (docs/events.md, docs/asyncapi.json) matches the contracts
// lib, so an internal service can subscribe from the docs alone. Fix with `npm run docs:events`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allCommands, allEvents } from '@strongbox/shared-contracts';
import { asyncApiPath, commandsMarkdownPath, eventsMarkdownPath, renderAsyncApi, renderCommandsMarkdown, renderEventsMarkdown } from './event-catalogue';

describe('event catalogue', () => {
  it('docs/events.md is current', () => {
    expect(readFileSync(eventsMarkdownPath, 'utf8')).toBe(renderEventsMarkdown());
  });
  it('docs/asyncapi.json is current and lists every event', () => {
    const committed = readFileSync(asyncApiPath, 'utf8');
    expect(committed).toBe(renderAsyncApi());
    const document = JSON.parse(committed) as { components: { messages: Record<string, { name: string }> } };
    const expected = [...allEvents.map((e) => e.type), ...allCommands.flatMap((c) => [`${c.type} request`, `${c.type} reply`])];
    expect(Object.values(document.components.messages).map((m) => m.name).sort()).toEqual(expected.sort());
  });
  it('docs/commands.md is current and lists every command', () => {
    const committed = readFileSync(commandsMarkdownPath, 'utf8');
    expect(committed).toBe(renderCommandsMarkdown());
    for (const command of allCommands) expect(committed).toContain(`## ${command.type}`);
  });
});
