import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { ApiError } from '../domain/errors.js';
import { isValidId } from '../domain/ids.js';
import { FAMILIES, successJson } from '../domain/power.js';
import type { Logger } from '../logger.js';
import { emptyTrace, type PowerService } from '../services/power-service.js';
import type { RequestObserver } from './hooks/record-requests.js';
import { logRequestCompleted } from './log-controller.js';
import {
  type Admission,
  type AuditSubject,
  carryOut,
  type Gate,
  type PowerRoute,
  rateLimitHeaders,
  settleRefusal,
} from './power-exchange.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { deferredChildLoggers } from './request-logger.js';
import { powerPath } from './routes/power-routes.js';

export interface PowerLaneOptions {
  readonly gate: Gate;
  readonly power: PowerService;
  readonly audit: AuditWriter;
  readonly logger: Logger;
  readonly clientAddress: (req: IncomingMessage) => string | undefined;
  readonly isDraining: () => boolean;
  readonly observer?: RequestObserver;
}

/** Serves a request and answers `true`, or answers `false` and leaves it untouched. */
export type RequestLane = (req: IncomingMessage, res: ServerResponse) => boolean;

interface LaneRoute extends PowerRoute {
  /** The route template, as Fastify names it: the `route` label of the metrics. */
  readonly template: string;
  readonly success: (id: string) => string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Requests with no body: nothing to parse, so nothing the body parsers could refuse. */
const hasNoBody = (headers: IncomingHttpHeaders): boolean =>
  headers['content-type'] === undefined &&
  headers['transfer-encoding'] === undefined &&
  (headers['content-length'] === undefined || headers['content-length'] === '0');

/**
 * The power endpoints served directly on Node's request and response, in front of Fastify. Only
 * the plain form of a power request takes this path: `POST`, the exact path of a power route with
 * a well-formed id, no query string and no body. Everything else (bodies, `?force=true`, odd ids,
 * other methods, unknown paths) returns `false` and goes to Fastify, whose routes answer it.
 *
 * Both paths run the same steps (`power-exchange.ts`) in the same order and answer with the same
 * status, headers and bytes; the test suite drives every request through this lane first. What the
 * lane leaves out is the framework's per-request work (routing, request and reply objects, hooks),
 * which on the hot path cost about as much as authentication and the audit insert together.
 */
export const createPowerLane = (options: PowerLaneOptions): RequestLane => {
  const { gate, power, audit, logger, clientAddress, isDraining, observer } = options;
  const requestLog = deferredChildLoggers(logger);
  const routes = new Map<string, LaneRoute>();
  for (const family of FAMILIES) {
    for (const action of family.actions) {
      routes.set(`${family.basePath}/${action}`, {
        family,
        action,
        template: powerPath(family, action),
        success: successJson(family, action),
      });
    }
  }

  /** Route and id of a plain power request's URL, e.g. `/v1/hosting/game/power/srv_1/start`. */
  const match = (url: string): { route: LaneRoute; id: string } | null => {
    const last = url.lastIndexOf('/');
    const idStart = url.lastIndexOf('/', last - 1);
    if (idStart <= 0) return null;
    const route = routes.get(url.slice(0, idStart) + url.slice(last));
    if (route === undefined) return null;
    const id = url.slice(idStart + 1, last);
    return isValidId(id) ? { route, id } : null;
  };

  const serve = (req: IncomingMessage, res: ServerResponse, route: LaneRoute, id: string) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const log = requestLog(logger, { reqId: requestId }, {});
    // Worked out only when something uses it: an audit row or a log line. A 401 needs neither.
    let clientIp: string | undefined | null = null;
    const ip = (): string | undefined => {
      if (clientIp === null) clientIp = clientAddress(req);
      return clientIp;
    };
    const head = isDraining()
      ? [REQUEST_ID_HEADER, requestId, 'connection', 'close']
      : [REQUEST_ID_HEADER, requestId];
    let subject: AuditSubject | null = null;

    const answer = (status: number, extra: Readonly<Record<string, string>>, body: string) => {
      for (const name in extra) head.push(name, extra[name] ?? '');
      head.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)));
      try {
        res.writeHead(status, head);
        res.end(body);
      } catch (error) {
        // Only a broken invariant gets here; it must not escape into a promise chain.
        log.error({ err: error }, 'could not write the answer');
        res.destroy();
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      observer?.requestCompleted(
        {
          route: route.template,
          method: 'POST',
          status,
          family: route.family.type,
          action: route.action,
        },
        seconds,
      );
      // Checked here as well, so that the client address is worked out only for a line that is
      // written. Not with a getter on this object: V8 keeps an object literal's accessor in the
      // old generation, so everything the getter reached (this request's objects) survived young
      // collections; that cost a quarter of the CPU in garbage collection.
      if (logger.isLevelEnabled('info')) {
        const described = { method: 'POST', url: req.url, ip: ip() };
        logRequestCompleted(logger, log, described, status, seconds * 1000);
      }
    };
    const refuse = (error: ApiError): void => {
      answer(error.statusCode, error.headers, error.json);
    };
    const fail = (thrown: unknown): void => {
      const settled = settleRefusal(thrown, subject, log, audit);
      if (settled instanceof Promise) void settled.then(refuse);
      else refuse(settled);
    };
    const admitted = (admission: Admission): void => {
      try {
        proceed(admission);
      } catch (error) {
        fail(error);
      }
    };
    const proceed = (admission: Admission): void => {
      const { principal, limit } = admission;
      if (limit !== null) head.push(...rateLimitHeaders(limit));
      if (principal === null) {
        fail(admission.refusal);
        return;
      }
      const granted = {
        requestId,
        route,
        principal,
        resourceId: id,
        clientIp: ip(),
        trace: emptyTrace(),
      };
      subject = granted;
      if (admission.refusal !== null) {
        fail(admission.refusal);
        return;
      }
      const outcome = carryOut(power, audit, granted, false, log);
      if (outcome instanceof Promise) outcome.then(done, fail);
      else done(outcome);
    };
    const done = (refusal: ApiError | null): void => {
      if (refusal === null) answer(200, {}, route.success(id));
      else fail(refusal);
    };

    let admission;
    try {
      admission = gate.admit(req.headers.authorization, route);
    } catch (error) {
      fail(error);
      return;
    }
    if (admission instanceof Promise) admission.then(admitted, fail);
    else admitted(admission);
  };

  return (req, res) => {
    if (req.method !== 'POST' || !hasNoBody(req.headers)) return false;
    const target = match(req.url ?? '');
    if (target === null) return false;
    serve(req, res, target.route, target.id);
    return true;
  };
};
