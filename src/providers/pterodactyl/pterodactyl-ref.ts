/** Formats of the Pterodactyl / Pelican client API that heo-power reads or writes. */

const SHORT_ID = /^[0-9a-f]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const SERVER_REF_FORMAT =
  "the panel's server identifier (8 hex characters, e.g. 1a7ce997) or its UUID";

/** Why `ref` is not a panel server identifier, or `null` when it is one. */
export const serverRefProblem = (ref: string): string | null => {
  if (SHORT_ID.test(ref) || UUID.test(ref)) return null;
  if (/[A-F]/.test(ref) && (SHORT_ID.test(ref.toLowerCase()) || UUID.test(ref.toLowerCase())))
    return 'write it in lowercase, as the panel shows it';
  return 'not an 8-character identifier or a UUID';
};

/**
 * Client API keys: a 16-character identifier (`ptlc_` on Pterodactyl, `pacc_` on Pelican, then 11
 * characters) followed by a 32-character secret.
 */
const CLIENT_KEY = /^(ptlc|pacc)_[A-Za-z0-9]{11}[A-Za-z0-9]{32}$/;
const APPLICATION_KEY = /^(ptla|papp)_/;

export type ClientKeyProblem = 'application' | 'shape';

export const clientKeyProblem = (key: string): ClientKeyProblem | null => {
  if (CLIENT_KEY.test(key)) return null;
  return APPLICATION_KEY.test(key) ? 'application' : 'shape';
};
