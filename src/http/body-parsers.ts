import type { FastifyInstance } from 'fastify';
import { Errors } from './api-errors.js';

/** Power requests carry at most `{"force": true}`; anything near this size is not a client of ours. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * JSON bodies only. An empty body is no body, whatever its Content-Type (clients often send
 * `Content-Type: application/json` on a bare POST); any other non-empty body is refused with 415.
 */
export const registerBodyParsers = (app: FastifyInstance): void => {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else done(Errors.unsupportedMediaType(), undefined);
  });
};
