import type { IncomingMessage } from 'node:http';

// ---------------------------------------------------------------------------------------------
// Request bodies in the three encodings the Bot API accepts: JSON, url-encoded form and
// multipart/form-data (what grammY sends when a file is uploaded). Form values stay strings;
// the method handlers coerce them like Telegram does.
// ---------------------------------------------------------------------------------------------

/** A file part of a multipart body. */
export interface UploadedFile {
  readonly kind: 'uploaded-file';
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

/** Parameters of one call: JSON values, form strings, or uploaded files. */
export type CallParams = Record<string, unknown>;

/** The parsed body, or the description of a 400 answer. */
export type ParsedBody = { ok: true; params: CallParams } | { ok: false; description: string };

/** Parts a multipart body may have; a bigger body is refused. */
export const MULTIPART_PARTS_MAX = 64;

/** True for values produced from a multipart file part. */
export function isUploadedFile(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'uploaded-file';
}

/** Reads the whole body; resolves undefined when it is longer than `maxBytes`. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses a body according to its content type; an empty body is an empty parameter set. */
export function parseBody(contentType: string | undefined, body: Buffer): ParsedBody {
  if (body.length === 0) return { ok: true, params: {} };
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, description: "Bad Request: can't parse JSON object" };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, description: 'Bad Request: JSON object expected' };
    }
    return { ok: true, params: value as CallParams };
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { ok: true, params: Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  }
  if (mediaType === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
    const value = boundary?.[1] ?? boundary?.[2];
    if (value === undefined) return { ok: false, description: 'Bad Request: multipart boundary is missing' };
    return parseMultipart(body, value);
  }
  return { ok: false, description: `Bad Request: unsupported content type ${mediaType || '(none)'}` };
}

/**
 * Parses multipart/form-data leniently about header spelling: grammY writes
 * `content-disposition:form-data;name="x";filename=photo.jpg` with no spaces and an unquoted
 * filename, browsers and curl write the quoted, spaced form. Both are accepted.
 */
export function parseMultipart(body: Buffer, boundary: string): ParsedBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const params: CallParams = {};
  let position = body.indexOf(delimiter);
  if (position < 0) return { ok: false, description: 'Bad Request: malformed multipart body' };
  let parts = 0;

  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString('latin1') === '--') break;
    if (body.subarray(position, position + 2).toString('latin1') === '\r\n') position += 2;
    const next = body.indexOf(delimiter, position);
    if (next < 0) return { ok: false, description: 'Bad Request: malformed multipart body' };
    parts += 1;
    if (parts > MULTIPART_PARTS_MAX) return { ok: false, description: `Bad Request: more than ${MULTIPART_PARTS_MAX} multipart parts` };

    // The part's content ends with the CRLF that precedes the next delimiter.
    const partEnd = body[next - 2] === 0x0d && body[next - 1] === 0x0a ? next - 2 : next;
    const part = body.subarray(position, partEnd);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return { ok: false, description: 'Bad Request: malformed multipart part' };
    const headers = parsePartHeaders(part.subarray(0, headerEnd).toString('utf8'));
    const content = part.subarray(headerEnd + 4);
    const disposition = headers.get('content-disposition') ?? '';
    const name = dispositionParameter(disposition, 'name');
    if (name === undefined) return { ok: false, description: 'Bad Request: multipart part without a name' };
    const filename = dispositionParameter(disposition, 'filename');
    params[name] =
      filename === undefined
        ? content.toString('utf8')
        : ({ kind: 'uploaded-file', filename, contentType: headers.get('content-type'), data: Buffer.from(content) } satisfies UploadedFile);
    position = next;
  }
  return { ok: true, params };
}

function parsePartHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function dispositionParameter(disposition: string, key: string): string | undefined {
  const pattern = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const match = pattern.exec(disposition);
  if (match === null) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]?.trim();
}
