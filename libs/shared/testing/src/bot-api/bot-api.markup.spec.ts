// Proves parse_mode handling against Telegram's own results: the text a user sees, its entities
// (UTF-16 offsets, whitespace trimmed), and the "can't parse entities" reasons for broken markup.
import { describe, expect, it } from 'vitest';
import type { MessageEntity } from 'grammy/types';
import { formatText, toParseMode, type ParseMode } from './bot-api.markup';

describe('formatText', () => {
  it.each<[string, ParseMode | undefined, string, MessageEntity[]]>([
    ['  plain text  ', undefined, 'plain text', []],
    ['<b>bold</b> &amp; <i>it</i>', 'HTML', 'bold & it', [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 7, length: 2 }]],
    ['<a href="https://x.org/?a=1&amp;b=2">link</a>', 'HTML', 'link', [{ type: 'text_link', offset: 0, length: 4, url: 'https://x.org/?a=1&b=2' }]],
    ['<pre><code class="language-ts">const x = 1;</code></pre>', 'HTML', 'const x = 1;', [{ type: 'pre', offset: 0, length: 12, language: 'ts' }]],
    ['<span class="tg-spoiler">s</span>', 'HTML', 's', [{ type: 'spoiler', offset: 0, length: 1 }]],
    ['<blockquote expandable>q</blockquote>', 'HTML', 'q', [{ type: 'expandable_blockquote', offset: 0, length: 1 }]],
    ['  <b>x</b>  ', 'HTML', 'x', [{ type: 'bold', offset: 0, length: 1 }]],
    ['<b>😀</b>!', 'HTML', '😀!', [{ type: 'bold', offset: 0, length: 2 }]],
    [
      '*bold* _it_ __u__ ~s~ ||sp||',
      'MarkdownV2',
      'bold it u s sp',
      [
        { type: 'bold', offset: 0, length: 4 },
        { type: 'italic', offset: 5, length: 2 },
        { type: 'underline', offset: 8, length: 1 },
        { type: 'strikethrough', offset: 10, length: 1 },
        { type: 'spoiler', offset: 12, length: 2 },
      ],
    ],
    ['Price 1\\.5', 'MarkdownV2', 'Price 1.5', []],
    ['[text](https://x.org)', 'MarkdownV2', 'text', [{ type: 'text_link', offset: 0, length: 4, url: 'https://x.org' }]],
    ['```ts\nconst x\n```', 'MarkdownV2', 'const x', [{ type: 'pre', offset: 0, length: 7, language: 'ts' }]],
    ['>quote\nnext', 'MarkdownV2', 'quote\nnext', [{ type: 'blockquote', offset: 0, length: 5 }]],
    ['*b* _i_ `c`', 'Markdown', 'b i c', [{ type: 'bold', offset: 0, length: 1 }, { type: 'italic', offset: 2, length: 1 }, { type: 'code', offset: 4, length: 1 }]],
  ])('parses %j as %s', (raw, parseMode, text, entities) => {
    expect(formatText(raw, parseMode)).toEqual({ ok: true, text, entities });
  });

  it.each<[string, ParseMode, string]>([
    ['<b>x', 'HTML', 'Can\'t find end tag corresponding to start tag "b"'],
    ['<foo>x</foo>', 'HTML', 'Unsupported start tag "foo" at byte offset 0'],
    ['a < b', 'HTML', 'Unsupported start tag "" at byte offset 2'],
    ['<b>a <i>b</b></i>', 'HTML', 'Unmatched end tag at byte offset 9, expected "</i>", found "</b>"'],
    ['Price 1.5', 'MarkdownV2', "Character '.' is reserved and must be escaped with the preceding '\\'"],
    ['*unclosed', 'MarkdownV2', "Can't find end of Bold entity at byte offset 0"],
    ['*open', 'Markdown', "Can't find end of the entity starting at byte offset 0"],
  ])('refuses %j as %s', (raw, parseMode, error) => {
    expect(formatText(raw, parseMode)).toEqual({ ok: false, error });
  });
});

describe('toParseMode', () => {
  it.each([
    ['html', 'HTML'],
    ['HTML', 'HTML'],
    ['markdownv2', 'MarkdownV2'],
    ['Markdown', 'Markdown'],
    ['bbcode', undefined],
  ])('reads %s as %s', (name, mode) => {
    expect(toParseMode(name)).toBe(mode);
  });
});
