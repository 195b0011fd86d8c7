import { encodeBase62, randomBase62 } from './base62.js';

/**
 * Customer and resource ids are chosen by the operator. They are kept to a conservative alphabet so
 * that they are safe in URLs, logs and shells; the API treats an id that breaks these rules exactly
 * like an unknown one.
 */
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const MAX_ID_LENGTH = 128;

export const isValidId = (id: string): boolean => ID_SHAPE.test(id);

export const ID_RULE =
  'ids are 1 to 128 characters of letters, digits, "_", ".", ":" and "-", starting with a letter or digit';

export const newKeyId = (): string => `key_${randomBase62(16)}`;

let lastActionMs = 0;
let actionSequence = 0;

/**
 * The handle of an accepted power action: `act_` and 20 base62 characters that sort as the
 * actions were accepted: the time in milliseconds (8), a sequence within the millisecond on this
 * instance (3), and 9 random characters (53 bits) that keep ids of other instances apart. Two
 * actions of one machine in the same millisecond are still listed newest first, and the index of
 * the ids grows at its end.
 */
export const newActionId = (now: number = Date.now()): string => {
  if (now > lastActionMs) {
    lastActionMs = now;
    actionSequence = 0;
  } else {
    actionSequence = Math.min(actionSequence + 1, 62 ** 3 - 1);
  }
  return `act_${encodeBase62(lastActionMs, 8)}${encodeBase62(actionSequence, 3)}${randomBase62(9)}`;
};

const ACTION_ID_SHAPE = /^act_[A-Za-z0-9]{20}$/;
export const isActionId = (id: string): boolean => ACTION_ID_SHAPE.test(id);

/** Provider names are short and appear in CLI commands and metrics labels. */
const PROVIDER_NAME_SHAPE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const isValidProviderName = (name: string): boolean => PROVIDER_NAME_SHAPE.test(name);
export const PROVIDER_NAME_RULE =
  'provider names are 1 to 63 characters of lowercase letters, digits, "_" and "-"';
