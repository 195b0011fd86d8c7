import type { FastifySchema } from 'fastify';
import { Errors } from '../api-errors.js';
import { errorResponse, requestHeaders, requestIdHeader, TAGS } from './common.js';

const statusBody = (status: string, description: string) => ({
  'x-response-description': description,
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', const: status } },
  additionalProperties: false,
  examples: [{ status }],
  headers: { 'X-Request-Id': requestIdHeader },
});

export const livenessSchema: FastifySchema = {
  tags: [TAGS.health],
  summary: 'Liveness',
  description: 'Answers while the process runs. Needs no key.',
  security: [],
  headers: requestHeaders,
  response: { 200: statusBody('ok', 'The process runs.') },
};

export const readinessSchema: FastifySchema = {
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
