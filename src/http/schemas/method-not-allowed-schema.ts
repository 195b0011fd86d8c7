import type { FastifySchema } from 'fastify';

/**
 * Every other method on a known path: 405 with the methods the path serves in `Allow`. Not listed
 * as operations (a client has nothing to call there): the document describes it once, as the
 * `MethodNotAllowed` response of its components and a sentence of its introduction.
 */
export const methodNotAllowedSchema: FastifySchema = { hide: true };
