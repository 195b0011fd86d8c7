import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's `X-Request-Id` when it is well-formed, so its traces line up with ours; else ours. */
export const requestIdOf = (req: IncomingMessage): string => {
  const offered = req.headers[REQUEST_ID_HEADER];
  return typeof offered === 'string' && WELL_FORMED.test(offered) ? offered : randomUUID();
};
