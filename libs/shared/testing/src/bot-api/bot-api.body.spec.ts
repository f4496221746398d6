// Proves request-body parsing for the three encodings the Bot API takes: JSON, url-encoded forms,
// and multipart as grammY writes it (no spaces, unquoted filename) and as browsers and curl write it.
import { describe, expect, it } from 'vitest';
import { parseBody } from './bot-api.body';

const boundary = '----------abc123';

function multipart(parts: string[]): Buffer {
  return Buffer.from(`--${boundary}\r\n${parts.join(`\r\n--${boundary}\r\n`)}\r\n--${boundary}--\r\n`, 'latin1');
}

describe('parseBody', () => {
  it('reads a JSON object and refuses other JSON', () => {
    expect(parseBody('application/json; charset=utf-8', Buffer.from('{"chat_id":1,"text":"hi"}'))).toEqual({ ok: true, params: { chat_id: 1, text: 'hi' } });
    expect(parseBody('application/json', Buffer.from('[1]'))).toEqual({ ok: false, description: 'Bad Request: JSON object expected' });
    expect(parseBody('application/json', Buffer.from('{'))).toEqual({ ok: false, description: "Bad Request: can't parse JSON object" });
  });

  it('reads a url-encoded form as strings', () => {
    expect(parseBody('application/x-www-form-urlencoded', Buffer.from('chat_id=1&text=a%20b'))).toEqual({ ok: true, params: { chat_id: '1', text: 'a b' } });
  });

  it('treats an empty body as no parameters and refuses an unknown content type', () => {
    expect(parseBody(undefined, Buffer.alloc(0))).toEqual({ ok: true, params: {} });
    expect(parseBody('text/plain', Buffer.from('hi'))).toEqual({ ok: false, description: 'Bad Request: unsupported content type text/plain' });
  });

  it('reads multipart as grammY writes it, files kept as bytes', () => {
    const body = multipart([
      'content-disposition:form-data;name="chat_id"\r\n\r\n42',
      'content-disposition:form-data;name="photo"\r\n\r\nattach://f1',
      'content-disposition:form-data;name="f1";filename=photo.jpg\r\ncontent-type:application/octet-stream\r\n\r\n\u0000\u00ff\r\nbin',
    ]);
    const parsed = parseBody(`multipart/form-data; boundary=${boundary}`, body);
    expect(parsed).toMatchObject({ ok: true, params: { chat_id: '42', photo: 'attach://f1' } });
    const file = (parsed as { params: Record<string, { filename: string; contentType: string; data: Buffer }> }).params['f1']!;
    expect(file.filename).toBe('photo.jpg');
    expect(file.contentType).toBe('application/octet-stream');
    expect([...file.data]).toEqual([0x00, 0xff, 0x0d, 0x0a, 0x62, 0x69, 0x6e]);
  });

  it('reads multipart as browsers write it, with quoted and spaced parameters', () => {
    const body = multipart(['Content-Disposition: form-data; name="caption"\r\n\r\nHello', 'Content-Disposition: form-data; name="photo"; filename="a b.png"\r\n\r\nPNG']);
    const parsed = parseBody(`multipart/form-data; boundary="${boundary}"`, body);
    expect(parsed).toMatchObject({ ok: true, params: { caption: 'Hello', photo: { kind: 'uploaded-file', filename: 'a b.png' } } });
  });

  it('refuses multipart without a boundary or with a broken body', () => {
    expect(parseBody('multipart/form-data', Buffer.from('x'))).toEqual({ ok: false, description: 'Bad Request: multipart boundary is missing' });
    expect(parseBody(`multipart/form-data; boundary=${boundary}`, Buffer.from(`--${boundary}\r\nno end`))).toEqual({
      ok: false,
      description: 'Bad Request: malformed multipart body',
    });
  });
});
