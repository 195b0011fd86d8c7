import { randomUUID } from 'node:crypto';
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Log, Logger, RequestLike } from '../logger.js';
import { type RequestLabels, type RequestObserver, UNMATCHED_ROUTE } from '../metrics/observers.js';
import type { ApiError } from './api-errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** An answer as every transport writes it. */
export interface Answer {
  readonly status: number;
  /** Header names (lowercase) and values, alternating. */
  readonly headers: readonly string[];
  readonly contentType: string;
  readonly body: string;
  /**
   * Spoken for by a summary line (failed authentications, per address): its own completion line
   * is written at `debug` only.
   */
  readonly summarised?: boolean;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** An error's envelope as an answer. */
export const errorAnswer = (error: ApiError): Answer => {
  const headers: string[] = [];
  for (const name in error.headers) headers.push(name, error.headers[name] ?? '');
  return { status: error.statusCode, headers, contentType: JSON_TYPE, body: error.json };
};

/** How a request is described on its completion line. */
export type Described = () => RequestLike;

/**
 * What every answer of the API gets, whichever way it leaves: the request id (`X-Request-Id`),
 * `Connection: close` once the server is draining (decided when the answer is written, so that a
 * reply to a request that arrived before the drain closes its connection too), and, once it is
 * sent, the request's metrics and its completion log line. The direct power path writes through
 * `write`; Fastify's answers get the same through the hooks of `install`; requests answered
 * before routing through `completed` and `rawAnswer`.
 */
export class HttpConventions {
  readonly #logger: Logger;
  readonly #observer: RequestObserver | undefined;
  #draining = false;

  constructor(logger: Logger, observer?: RequestObserver) {
    this.#logger = logger;
    this.#observer = observer;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on, every answer closes its connection. */
  drain(): void {
    this.#draining = true;
  }

  /** Writes a whole answer on Node's response, then records its completion. */
  write(
    res: ServerResponse,
    requestId: string,
    answer: Answer,
    labels: RequestLabels,
    started: number,
    log: Log,
    described: Described,
  ): void {
    const head = [REQUEST_ID_HEADER, requestId, ...answer.headers];
    if (this.#draining && !answer.headers.includes('connection')) head.push('connection', 'close');
    head.push(
      'content-type',
      answer.contentType,
      'content-length',
      String(Buffer.byteLength(answer.body)),
    );
    try {
      res.writeHead(answer.status, head);
      res.end(answer.body);
    } catch (error) {
      // Only a broken invariant gets here; it must not escape into a promise chain.
      log.error({ err: error }, 'could not write the answer');
      res.destroy();
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.completed(labels, seconds, log, described, answer.summarised === true ? 'debug' : 'info');
  }

  /** The metrics and the completion line of an answered request. */
  completed(
    labels: RequestLabels,
    seconds: number,
    log: Log,
    described: Described,
    level: 'info' | 'debug' = 'info',
  ): void {
    this.#observer?.requestCompleted(labels, seconds);
    // The description is asked for only when the line is written: working out the client address
    // costs, and a 401 under brute force needs it for nothing else.
    if (this.#logger.isLevelEnabled(level)) {
      log[level](
        { req: described(), res: { statusCode: labels.status }, responseTime: seconds * 1000 },
        'request completed',
      );
    }
  }

  /**
   * The bytes of an answer to a request too broken to be read (oversized headers, not HTTP), with
   * a fresh request id: whatever the client sent cannot be trusted to have been read. Such
   * requests are not counted and log a debug line only.
   */
  rawAnswer(error: ApiError, code: string | undefined): string {
    const requestId = randomUUID();
    this.#logger.debug({ code, reqId: requestId }, 'client error');
    const body = error.json;
    return [
      `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? ''}`,
      `Content-Type: ${JSON_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n');
  }

  /** The same conventions for every answer Fastify sends. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (this.#draining) reply.header('connection', 'close');
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      // The power routes take their requests over and complete them in `write`.
      if (request.routeOptions.config.power !== undefined) {
        done();
        return;
      }
      const labels = {
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        method: request.method,
        status: reply.statusCode,
      };
      this.completed(labels, reply.elapsedTime / 1000, reply.log, () => request);
      done();
    });
  }
}
