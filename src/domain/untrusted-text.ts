import { isValidId, MAX_ID_LENGTH } from './ids.js';

/**
 * Text that came from a client (a path id, a request id, a URL) on its way into logs and the audit
 * log: anything shaped like an API key is cut out, and characters a terminal would act on are
 * shown as escapes.
 */

/**
 * `heo_` and at least 12 base62 characters: a key, or enough of one to help a thief. Display
 * prefixes (`heo_` and 8 characters) stay readable.
 */
const KEY_SHAPED = /heo_[0-9A-Za-z]{12,}/g;
export const REDACTED_KEY = 'heo_[redacted]';

/** A percent-encoded text decoded, or as it is when it is not validly encoded. */
const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** Whether `text`, or `text` percent-decoded, holds something shaped like an API key. */
export const holdsKey = (text: string): boolean => {
  KEY_SHAPED.lastIndex = 0;
  if (KEY_SHAPED.test(text)) return true;
  if (!text.includes('%')) return false;
  KEY_SHAPED.lastIndex = 0;
  return KEY_SHAPED.test(decoded(text));
};

/**
 * `text` with every key-shaped part replaced. A text that hides a key behind percent-encoding is
 * decoded first, so that the key cannot pass encoded.
 */
export const withoutKeys = (text: string): string => {
  if (!holdsKey(text)) return text;
  KEY_SHAPED.lastIndex = 0;
  const plain = KEY_SHAPED.test(text) ? text : decoded(text);
  return plain.replace(KEY_SHAPED, REDACTED_KEY);
};

/** Control characters (C0, DEL, C1) and the bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (char: string): string => {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `text` with every control and bidirectional character written as `\xNN` / `\uNNNN`. */
export const visiblyEscaped = (text: string): string => text.replace(UNSAFE, escaped);

/**
 * A resource id as the audit log keeps it: a well-formed id as it is; any other with keys cut out
 * and unsafe characters escaped (so that it can never pass for other text on a terminal), cut to
 * the longest id.
 */
export const storableId = (id: string): string =>
  isValidId(id) && !holdsKey(id) ? id : visiblyEscaped(withoutKeys(id)).slice(0, MAX_ID_LENGTH);
