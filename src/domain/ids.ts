import { randomBase62 } from './base62.js';

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

/** The handle of an accepted power action: `act_` and 20 random base62 characters. */
export const newActionId = (): string => `act_${randomBase62(20)}`;

const ACTION_ID_SHAPE = /^act_[A-Za-z0-9]{20}$/;
export const isActionId = (id: string): boolean => ACTION_ID_SHAPE.test(id);

/** Provider names are short and appear in CLI commands and metrics labels. */
const PROVIDER_NAME_SHAPE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const isValidProviderName = (name: string): boolean => PROVIDER_NAME_SHAPE.test(name);
export const PROVIDER_NAME_RULE =
  'provider names are 1 to 63 characters of lowercase letters, digits, "_" and "-"';
