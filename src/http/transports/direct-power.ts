import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidId } from '../../domain/ids.js';
import { FAMILIES } from '../../domain/power.js';
import type { Logger } from '../../logger.js';
import type { HttpConventions } from '../conventions.js';
import {
  type PowerAnswer,
  type PowerPipeline,
  type PowerRoute,
  powerRoute,
} from '../power-pipeline.js';
import { hasNoBody } from '../request-body.js';
import { requestIdOf } from '../request-id.js';
import { deferredChildLoggers } from '../request-logger.js';

export interface DirectPowerOptions {
  readonly pipeline: PowerPipeline;
  readonly conventions: HttpConventions;
  readonly logger: Logger;
  readonly clientAddress: (req: IncomingMessage) => string | undefined;
}

/** Serves a request and answers `true`, or answers `false` and leaves it untouched. */
export type RequestTransport = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The plain form of a power request, served on Node's request and response in front of Fastify:
 * `POST`, the exact path of a power route with a well-formed id, no query string and no body.
 * Everything else (bodies, `?force=true`, odd ids, other methods, unknown paths) returns `false`
 * and goes to Fastify, whose power routes hand it to the same pipeline.
 *
 * This transport only matches the URL, collects the request's facts and writes the pipeline's
 * answer through the conventions every answer follows. What it leaves out is the framework's
 * per-request work (routing, request and reply objects, hooks), which on the hot path costs about
 * as much as authentication and the audit insert together.
 */
export const directPowerTransport = (options: DirectPowerOptions): RequestTransport => {
  const { pipeline, conventions, logger, clientAddress } = options;
  const requestLog = deferredChildLoggers(logger);
  const routes = new Map<string, PowerRoute>();
  for (const family of FAMILIES) {
    for (const action of family.actions) {
      routes.set(`${family.basePath}/${action}`, powerRoute(family, action));
    }
  }

  /** Route and id of a plain power request's URL, e.g. `/v1/hosting/game/power/srv_1/start`. */
  const match = (url: string): { route: PowerRoute; id: string } | null => {
    const last = url.lastIndexOf('/');
    const idStart = url.lastIndexOf('/', last - 1);
    if (idStart <= 0) return null;
    const route = routes.get(url.slice(0, idStart) + url.slice(last));
    if (route === undefined) return null;
    const id = url.slice(idStart + 1, last);
    return isValidId(id) ? { route, id } : null;
  };

  const serve = (req: IncomingMessage, res: ServerResponse, route: PowerRoute, id: string) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const log = requestLog(logger, { reqId: requestId }, {});
    // Worked out once, and only when something uses it: an audit row or a log line.
    let address: string | undefined | null = null;
    const ip = (): string | undefined => {
      if (address === null) address = clientAddress(req);
      return address;
    };
    const write = (answer: PowerAnswer): void => {
      const labels = {
        route: route.template,
        method: 'POST',
        status: answer.status,
        family: route.family.type,
        action: route.action,
      };
      conventions.write(res, requestId, answer, labels, started, log, () => ({
        method: 'POST',
        url: req.url,
        ip: ip(),
      }));
    };
    const answer = pipeline.run({
      route,
      resourceId: id,
      authorization: req.headers.authorization,
      query: null,
      raw: req,
      requestId,
      clientAddress: ip,
      log,
    });
    if (answer instanceof Promise) void answer.then(write);
    else write(answer);
  };

  return (req, res) => {
    if (req.method !== 'POST' || !hasNoBody(req.headers)) return false;
    const target = match(req.url ?? '');
    if (target === null) return false;
    serve(req, res, target.route, target.id);
    return true;
  };
};
