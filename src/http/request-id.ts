import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { holdsKey } from '../domain/untrusted-text.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A client's `X-Request-Id` when it is well-formed, so its traces line up with ours; else ours.
 * One shaped like an API key is never taken: it would be echoed, logged and stored.
 */
export const requestIdOf = (req: IncomingMessage): string => {
  const offered = req.headers[REQUEST_ID_HEADER];
  return typeof offered === 'string' && WELL_FORMED.test(offered) && !holdsKey(offered)
    ? offered
    : randomUUID();
};
