/**
 * The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header-07): a
 * Structured Field string (RFC 8941, `"…"`), or leniently a bare token, whose value is 1 to 255
 * printable ASCII characters. Pure: no I/O, no framework.
 */

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export type IdempotencyKeyReading =
  | { readonly key: string; readonly problem: null }
  | { readonly key: null; readonly problem: string };

/** What is wrong with a key, as a 400 tells it (a bounded set of texts). */
export const IdempotencyKeyProblems = {
  shape:
    'Idempotency-Key must be a quoted string ("…") or a token of printable ASCII characters, sent once',
  length: `Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} characters long`,
} as const;

const problem = (text: string): IdempotencyKeyReading => ({ key: null, problem: text });

/** tchar (RFC 9110), plus `:` and `/` as an sf-token allows. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z:/]+$/;

/** An sf-string's content, unescaped; `null` when it is not one. */
const unquote = (text: string): string | null => {
  if (text.length < 2 || !text.endsWith('"')) return null;
  let value = '';
  for (let i = 1; i < text.length - 1; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x5c) {
      const next = text.charCodeAt(i + 1);
      // Only `\"` and `\\` are escapes; the closing quote cannot be escaped away.
      if ((next !== 0x22 && next !== 0x5c) || i + 1 === text.length - 1) return null;
      value += text.charAt(i + 1);
      i += 1;
    } else if (code === 0x22 || code < 0x20 || code > 0x7e) {
      return null;
    } else {
      value += text.charAt(i);
    }
  }
  return value;
};

/**
 * The key of a header value as Node gives it (repeated headers joined by `, `, which neither form
 * allows, so a key sent twice is refused).
 */
export const readIdempotencyKey = (
  header: string | string[] | undefined,
): IdempotencyKeyReading => {
  if (typeof header !== 'string') return problem(IdempotencyKeyProblems.shape);
  const text = header.trim();
  const key = text.startsWith('"') ? unquote(text) : TOKEN.test(text) ? text : null;
  if (key === null) return problem(IdempotencyKeyProblems.shape);
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    return problem(IdempotencyKeyProblems.length);
  }
  return { key, problem: null };
};
