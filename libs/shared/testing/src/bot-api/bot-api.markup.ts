import type { MessageEntity } from 'grammy/types';

// ---------------------------------------------------------------------------------------------
// parse_mode handling as the Bot API does it: markup in, plain text plus entities out, and the
// same kind of "can't parse entities" errors for broken markup, so a bot that forgets to escape a
// user's name fails here as it would in production.
// ---------------------------------------------------------------------------------------------

/** Parse modes the Bot API accepts. */
export const ParseModes = { html: 'HTML', markdownV2: 'MarkdownV2', markdown: 'Markdown' } as const;
export type ParseMode = (typeof ParseModes)[keyof typeof ParseModes];

/** Plain text with its entities, or why the markup could not be parsed. */
export type FormatResult = { ok: true; text: string; entities: MessageEntity[] } | { ok: false; error: string };

/** True when `value` is one of the Bot API's parse modes (they are matched case-insensitively). */
export function toParseMode(value: string): ParseMode | undefined {
  const lower = value.toLowerCase();
  if (lower === 'html') return ParseModes.html;
  if (lower === 'markdownv2') return ParseModes.markdownV2;
  if (lower === 'markdown') return ParseModes.markdown;
  return undefined;
}

/**
 * Turns `raw` into the text a user sees and its entities, like Telegram: markup parsed according to
 * `parseMode` (none: the text is taken as it is), then leading and trailing whitespace trimmed.
 */
export function formatText(raw: string, parseMode: ParseMode | undefined): FormatResult {
  const parsed =
    parseMode === ParseModes.html
      ? parseHtml(raw)
      : parseMode === ParseModes.markdownV2
        ? parseMarkdownV2(raw)
        : parseMode === ParseModes.markdown
          ? parseMarkdown(raw)
          : { ok: true as const, text: raw, entities: [] };
  if (!parsed.ok) return parsed;
  return { ok: true, ...trimWithEntities(parsed.text, parsed.entities) };
}

/** Trims whitespace at both ends and moves, clips or drops the entities to match. */
export function trimWithEntities(text: string, entities: readonly MessageEntity[]): { text: string; entities: MessageEntity[] } {
  const leading = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept: MessageEntity[] = [];
  for (const entity of entities) {
    const start = Math.max(entity.offset - leading, 0);
    const end = Math.min(entity.offset + entity.length - leading, trimmed.length);
    if (end > start) kept.push({ ...entity, offset: start, length: end - start });
  }
  return { text: trimmed, entities: sortEntities(kept) };
}

function sortEntities(entities: MessageEntity[]): MessageEntity[] {
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

function byteOffset(raw: string, index: number): number {
  return Buffer.byteLength(raw.slice(0, index), 'utf8');
}

type SimpleEntityType = 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'code' | 'blockquote' | 'expandable_blockquote';

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

const HTML_SIMPLE_TAGS: Readonly<Record<string, SimpleEntityType>> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  code: 'code',
};
const HTML_NAMED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"' };

interface OpenHtmlTag {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly start: number;
  /** Set on a `pre` by a nested `<code class="language-x">`. */
  language?: string;
}

function parseHtml(raw: string): FormatResult {
  let text = '';
  const entities: MessageEntity[] = [];
  const stack: OpenHtmlTag[] = [];
  let index = 0;

  while (index < raw.length) {
    const char = raw[index] as string;
    if (char === '&') {
      const match = /^&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);/.exec(raw.slice(index, index + 12));
      const name = match?.[1];
      const decoded =
        name === undefined
          ? undefined
          : name.startsWith('#x')
            ? String.fromCodePoint(Math.min(parseInt(name.slice(2), 16), 0x10ffff))
            : name.startsWith('#')
              ? String.fromCodePoint(Math.min(parseInt(name.slice(1), 10), 0x10ffff))
              : HTML_NAMED_ENTITIES[name];
      if (match !== null && decoded !== undefined) {
        text += decoded;
        index += match[0].length;
      } else {
        // Like Telegram, a lone or unknown `&…` is kept as written.
        text += char;
        index += 1;
      }
      continue;
    }
    if (char !== '<') {
      text += char;
      index += 1;
      continue;
    }

    const close = raw.indexOf('>', index);
    if (raw[index + 1] === '/') {
      if (close < 0) return { ok: false, error: `Unclosed end tag at byte offset ${byteOffset(raw, index)}` };
      const name = raw.slice(index + 2, close).trim().toLowerCase();
      const open = stack.pop();
      if (open === undefined) return { ok: false, error: `Unexpected end tag at byte offset ${byteOffset(raw, index)}` };
      if (open.name !== name) {
        return {
          ok: false,
          error: `Unmatched end tag at byte offset ${byteOffset(raw, index)}, expected "</${open.name}>", found "</${name}>"`,
        };
      }
      closeHtmlTag(open, text, stack, entities);
      index = close + 1;
      continue;
    }

    const nameMatch = /^[a-zA-Z][a-zA-Z0-9-]*/.exec(raw.slice(index + 1));
    const name = nameMatch?.[0].toLowerCase() ?? '';
    if (name === '' || !isSupportedHtmlTag(name)) {
      return { ok: false, error: `Unsupported start tag "${name}" at byte offset ${byteOffset(raw, index)}` };
    }
    if (close < 0) return { ok: false, error: `Unclosed start tag at byte offset ${byteOffset(raw, index)}` };
    const attributes = parseHtmlAttributes(raw.slice(index + 1 + name.length, close));
    if (attributes === undefined) return { ok: false, error: `Can't parse attributes of tag "${name}" at byte offset ${byteOffset(raw, index)}` };
    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      return { ok: false, error: `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(raw, index)}` };
    }
    stack.push({ name, attributes, start: text.length });
    index = close + 1;
  }

  const unclosed = stack.at(-1);
  if (unclosed !== undefined) return { ok: false, error: `Can't find end tag corresponding to start tag "${unclosed.name}"` };
  return { ok: true, text, entities: sortEntities(entities) };
}

function isSupportedHtmlTag(name: string): boolean {
  return name in HTML_SIMPLE_TAGS || ['span', 'a', 'pre', 'blockquote', 'tg-emoji'].includes(name);
}

function closeHtmlTag(open: OpenHtmlTag, text: string, stack: readonly OpenHtmlTag[], entities: MessageEntity[]): void {
  const length = text.length - open.start;
  if (length <= 0) return;
  const base = { offset: open.start, length };
  const simple = HTML_SIMPLE_TAGS[open.name];
  const parent = stack.at(-1);
  if (open.name === 'code' && parent?.name === 'pre') {
    // <pre><code class="language-x"> is one pre entity with a language, not two entities.
    const language = /^language-(.+)$/.exec(open.attributes.get('class') ?? '')?.[1];
    if (language !== undefined) parent.language = language;
    return;
  }
  if (simple !== undefined) {
    entities.push({ ...base, type: simple });
  } else if (open.name === 'span') {
    entities.push({ ...base, type: 'spoiler' });
  } else if (open.name === 'a') {
    const url = open.attributes.get('href');
    if (url !== undefined && url !== '') entities.push({ ...base, type: 'text_link', url });
  } else if (open.name === 'pre') {
    const language = open.language;
    entities.push(language === undefined ? { ...base, type: 'pre' } : { ...base, type: 'pre', language });
  } else if (open.name === 'blockquote') {
    entities.push({ ...base, type: open.attributes.has('expandable') ? 'expandable_blockquote' : 'blockquote' });
  } else if (open.name === 'tg-emoji') {
    const id = open.attributes.get('emoji-id');
    if (id !== undefined) entities.push({ ...base, type: 'custom_emoji', custom_emoji_id: id });
  }
}

/** `key="value" key='value' key=value key` → map; undefined when the text is not attributes. */
function parseHtmlAttributes(source: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  const pattern = /\s*([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/y;
  let position = 0;
  const trimmed = source.trimEnd();
  while (position < trimmed.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(trimmed);
    if (match === null || match[0] === '') return undefined;
    const value = match[2] ?? match[3] ?? match[4] ?? '';
    attributes.set((match[1] as string).toLowerCase(), decodeHtmlEntities(value));
    position = pattern.lastIndex;
  }
  return attributes;
}

function decodeHtmlEntities(value: string): string {
  return value.replace(/&(lt|gt|amp|quot);/g, (_all, name: string) => HTML_NAMED_ENTITIES[name] ?? '');
}

// ---------------------------------------------------------------------------------------------
// MarkdownV2
// ---------------------------------------------------------------------------------------------

const MARKDOWN_V2_RESERVED = new Set('_*[]()~`>#+-=|{}.!'.split(''));
const MARKDOWN_V2_NAMES: Readonly<Record<string, string>> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  text_link: 'TextUrl',
};

interface OpenMarkdownEntity {
  readonly type: 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'text_link';
  readonly start: number;
  readonly rawIndex: number;
}

function parseMarkdownV2(raw: string): FormatResult {
  let text = '';
  const entities: MessageEntity[] = [];
  const stack: OpenMarkdownEntity[] = [];
  let quoteStart: number | undefined;
  let index = 0;
  const reserved = (char: string): FormatResult => ({
    ok: false,
    error: `Character '${char}' is reserved and must be escaped with the preceding '\\'`,
  });
  const toggle = (type: Exclude<OpenMarkdownEntity['type'], 'text_link'>, rawIndex: number): FormatResult | undefined => {
    const top = stack.at(-1);
    if (top?.type === type) {
      stack.pop();
      if (text.length > top.start) entities.push({ type, offset: top.start, length: text.length - top.start });
      return undefined;
    }
    if (top !== undefined && stack.some((open) => open.type === type)) {
      return { ok: false, error: `Can't find end of ${MARKDOWN_V2_NAMES[top.type]} entity at byte offset ${byteOffset(raw, top.rawIndex)}` };
    }
    stack.push({ type, start: text.length, rawIndex });
    return undefined;
  };

  while (index < raw.length) {
    const char = raw[index] as string;
    const atLineStart = index === 0 || raw[index - 1] === '\n';
    if (atLineStart && quoteStart !== undefined && char !== '>') {
      // The quote ended with the previous line; its newline is not part of it.
      const end = text.endsWith('\n') ? text.length - 1 : text.length;
      if (end > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: end - quoteStart });
      quoteStart = undefined;
    }

    if (char === '\\') {
      const next = raw[index + 1];
      if (next === undefined || next.charCodeAt(0) > 126) return reserved('\\');
      text += next;
      index += 2;
      continue;
    }
    if (raw.startsWith('```', index)) {
      const result = readMarkdownCode(raw, index + 3, '```');
      if (result === undefined) return { ok: false, error: `Can't find end of Pre entity at byte offset ${byteOffset(raw, index)}` };
      const newline = result.content.indexOf('\n');
      const language = newline > 0 && !/\s/.test(result.content.slice(0, newline)) ? result.content.slice(0, newline) : undefined;
      const body = language === undefined ? result.content : result.content.slice(newline + 1);
      if (body.length > 0) {
        entities.push(
          language === undefined
            ? { type: 'pre', offset: text.length, length: body.length }
            : { type: 'pre', offset: text.length, length: body.length, language },
        );
      }
      text += body;
      index = result.end;
      continue;
    }
    if (char === '`') {
      const result = readMarkdownCode(raw, index + 1, '`');
      if (result === undefined) return { ok: false, error: `Can't find end of Code entity at byte offset ${byteOffset(raw, index)}` };
      if (result.content.length > 0) entities.push({ type: 'code', offset: text.length, length: result.content.length });
      text += result.content;
      index = result.end;
      continue;
    }
    if (char === '>' && atLineStart) {
      quoteStart ??= text.length;
      index += 1;
      continue;
    }
    if (char === '*' || char === '~' || char === '_' || (char === '|' && raw[index + 1] === '|')) {
      const double = (char === '_' || char === '|') && raw[index + 1] === char;
      const type = char === '*' ? 'bold' : char === '~' ? 'strikethrough' : char === '|' ? 'spoiler' : double ? 'underline' : 'italic';
      const failure = toggle(type, index);
      if (failure !== undefined) return failure;
      index += double ? 2 : 1;
      continue;
    }
    if (char === '[') {
      stack.push({ type: 'text_link', start: text.length, rawIndex: index });
      index += 1;
      continue;
    }
    if (char === ']') {
      const top = stack.at(-1);
      if (top?.type !== 'text_link') return reserved(char);
      if (raw[index + 1] !== '(') return { ok: false, error: `Can't find end of TextUrl entity at byte offset ${byteOffset(raw, top.rawIndex)}` };
      const url = readMarkdownCode(raw, index + 2, ')');
      if (url === undefined) return { ok: false, error: `Can't find end of a URL at byte offset ${byteOffset(raw, index + 1)}` };
      stack.pop();
      if (text.length > top.start && url.content !== '') {
        entities.push({ type: 'text_link', offset: top.start, length: text.length - top.start, url: url.content });
      }
      index = url.end;
      continue;
    }
    if (MARKDOWN_V2_RESERVED.has(char)) return reserved(char);
    text += char;
    index += 1;
  }

  if (quoteStart !== undefined && text.length > quoteStart) {
    entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
  }
  const unclosed = stack.at(-1);
  if (unclosed !== undefined) {
    return { ok: false, error: `Can't find end of ${MARKDOWN_V2_NAMES[unclosed.type]} entity at byte offset ${byteOffset(raw, unclosed.rawIndex)}` };
  }
  return { ok: true, text, entities: sortEntities(entities) };
}

/** Reads up to `terminator`, honouring `\` escapes; undefined when it never comes. */
function readMarkdownCode(raw: string, from: number, terminator: string): { content: string; end: number } | undefined {
  let content = '';
  let index = from;
  while (index < raw.length) {
    if (raw[index] === '\\' && index + 1 < raw.length) {
      content += raw[index + 1];
      index += 2;
      continue;
    }
    if (raw.startsWith(terminator, index)) return { content, end: index + terminator.length };
    content += raw[index];
    index += 1;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Markdown (legacy): no nesting, escapes only before _ * ` [
// ---------------------------------------------------------------------------------------------

function parseMarkdown(raw: string): FormatResult {
  let text = '';
  const entities: MessageEntity[] = [];
  let index = 0;
  const unclosed = (at: number): FormatResult => ({
    ok: false,
    error: `Can't find end of the entity starting at byte offset ${byteOffset(raw, at)}`,
  });

  while (index < raw.length) {
    const char = raw[index] as string;
    if (char === '\\' && '_*`['.includes(raw[index + 1] ?? ' ')) {
      text += raw[index + 1];
      index += 2;
      continue;
    }
    if (raw.startsWith('```', index)) {
      const end = raw.indexOf('```', index + 3);
      if (end < 0) return unclosed(index);
      const content = raw.slice(index + 3, end);
      const newline = content.indexOf('\n');
      const language = newline > 0 && !/\s/.test(content.slice(0, newline)) ? content.slice(0, newline) : undefined;
      const body = language === undefined ? content : content.slice(newline + 1);
      if (body.length > 0) {
        entities.push(
          language === undefined
            ? { type: 'pre', offset: text.length, length: body.length }
            : { type: 'pre', offset: text.length, length: body.length, language },
        );
      }
      text += body;
      index = end + 3;
      continue;
    }
    if (char === '*' || char === '_' || char === '`') {
      const end = raw.indexOf(char, index + 1);
      if (end < 0) return unclosed(index);
      const content = raw.slice(index + 1, end);
      const type = char === '*' ? 'bold' : char === '_' ? 'italic' : 'code';
      if (content.length > 0) entities.push({ type, offset: text.length, length: content.length });
      text += content;
      index = end + 1;
      continue;
    }
    if (char === '[') {
      const close = raw.indexOf(']', index + 1);
      if (close < 0 || raw[close + 1] !== '(') return unclosed(index);
      const urlEnd = raw.indexOf(')', close + 2);
      if (urlEnd < 0) return unclosed(index);
      const label = raw.slice(index + 1, close);
      const url = raw.slice(close + 2, urlEnd);
      if (label.length > 0 && url !== '') entities.push({ type: 'text_link', offset: text.length, length: label.length, url });
      text += label;
      index = urlEnd + 1;
      continue;
    }
    text += char;
    index += 1;
  }
  return { ok: true, text, entities: sortEntities(entities) };
}
