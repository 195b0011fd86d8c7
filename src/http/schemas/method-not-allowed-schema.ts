import type { FastifySchema } from 'fastify';
import { Errors } from '../api-errors.js';
import { errorResponse, TAGS } from './common.js';

/** Every other method on a known path: 405 with the methods the path serves in `Allow`. */
export const methodNotAllowedSchema = (allow: string): FastifySchema => ({
  tags: [TAGS.otherMethods],
  summary: `Method not allowed (this path serves ${allow})`,
  description: `Any method but ${allow} on this path answers 405, before authentication.`,
  security: [],
  response: {
    405: errorResponse(`This path serves ${allow} only.`, [
      {
        name: 'method_not_allowed',
        summary: 'Another method',
        error: Errors.methodNotAllowed(allow),
      },
    ]),
  },
});
