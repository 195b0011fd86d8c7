import type { FastifySchema } from 'fastify';
import { Errors } from '../api-errors.js';
import { COMPONENT, errorResponse, requestHeaders, requestIdHeader, TAGS } from './common.js';

const statusBody = (status: string, description: string) => ({
  'x-response-description': description,
  [COMPONENT]: 'HealthStatus',
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', const: status } },
  additionalProperties: false,
  examples: [{ status }],
  headers: { 'X-Request-Id': requestIdHeader },
});

/** The operation id of a route's GET; its HEAD is documented as `head…` (see `openapi/document.ts`). */
export const livenessSchema: FastifySchema = {
  operationId: 'getHealth',
  tags: [TAGS.health],
  summary: 'Liveness',
  description: 'Answers while the process runs. Needs no key.',
  security: [],
  headers: requestHeaders,
  response: { 200: statusBody('ok', 'The process runs.') },
};

export const readinessSchema: FastifySchema = {
  operationId: 'getReadiness',
  tags: [TAGS.health],
  summary: 'Readiness',
  description:
    'Answers 200 when the store answers and takes writes, 503 when it does not or while the server shuts down. Needs no key.',
  security: [],
  headers: requestHeaders,
  response: {
    200: statusBody(
      'ready',
      'The store answers and takes writes; the server is not shutting down.',
    ),
    503: errorResponse(
      'The store does not answer or refuses writes, or the server is shutting down.',
      [
        {
          name: 'service_unavailable',
          summary: 'Not ready',
          error: Errors.serviceUnavailable(),
        },
      ],
    ),
  },
};
