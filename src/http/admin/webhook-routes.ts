import type { FastifyInstance } from 'fastify';
import {
  DEFAULT_SECRET_OVERLAP_MS,
  parseOverlap,
  type WebhookService,
} from '../../services/webhook-service.js';
import { deliveryJson, outcomeJson, webhookJson } from '../../services/views.js';
import { actorOf } from './admin-auth.js';
import { FieldReader } from './admin-body.js';
import {
  ADMIN_BEARER,
  ADMIN_TAGS,
  answer,
  bodySchema,
  CREATED_WEBHOOK_SCHEMA,
  DELIVERY_SCHEMA,
  errorResponses,
  idParams,
  sendJson,
  WEBHOOK_EVENT_ENUM,
  WEBHOOK_SCHEMA,
  WEBHOOK_TEST_SCHEMA,
} from './admin-schemas.js';

const BASE = '/admin/v1/webhooks';
const security = [{ [ADMIN_BEARER]: [] }];
const tags = [ADMIN_TAGS.webhooks];
const params = idParams('id', 'The endpoint id, e.g. `whe_4Yb1dQ0aZk3xN9tR`.');

/** `webhooks add|list|show|remove|rotate-secret|enable|test|deliveries|redeliver` over HTTP. */
export const registerWebhookRoutes = (app: FastifyInstance, webhooks: WebhookService): void => {
  app.post(
    BASE,
    {
      schema: {
        operationId: 'addWebhook',
        tags,
        security,
        summary: 'Add a webhook endpoint',
        description:
          'As `webhooks add`. The answer holds the signing secret, once: it is never shown again.',
        body: bodySchema(
          {
            customer_id: { type: 'string', description: 'Whose power events it receives.' },
            url: { type: 'string', format: 'uri', description: 'An https:// URL.' },
            events: {
              type: 'array',
              items: { type: 'string', enum: WEBHOOK_EVENT_ENUM },
              description: 'Only these event types; absent or empty: all.',
            },
          },
          ['customer_id', 'url'],
        ),
        response: {
          201: answer('The endpoint, with its signing secret.', CREATED_WEBHOOK_SCHEMA),
          ...errorResponses(400, 401, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['customer_id', 'url', 'events']);
      const { record, secret } = await webhooks.add(
        {
          customerId: body.string('customer_id', { required: true }),
          url: body.string('url', { required: true }),
          events: body.strings('events'),
        },
        actorOf(request),
      );
      return sendJson(reply, 201, { ...webhookJson(record), secret });
    },
  );

  app.get(
    BASE,
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        security,
        summary: 'List webhook endpoints',
        description: 'As `webhooks list`: never their secrets.',
        querystring: {
          type: 'object',
          properties: {
            customer_id: { type: 'string', description: "Only this customer's endpoints." },
          },
          additionalProperties: false,
        },
        response: {
          200: answer('The endpoints.', { type: 'array', items: WEBHOOK_SCHEMA }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, ['customer_id'], { what: 'query parameter' });
      const rows = await webhooks.list(query.string('customer_id'));
      return sendJson(
        reply,
        200,
        rows.map((row) => webhookJson(row)),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    `${BASE}/:id`,
    {
      schema: {
        operationId: 'getWebhook',
        tags,
        security,
        summary: 'Show a webhook endpoint',
        description: 'As `webhooks show`: never its secrets.',
        params,
        response: { 200: answer('The endpoint.', WEBHOOK_SCHEMA), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) =>
      sendJson(reply, 200, webhookJson(await webhooks.get(request.params.id))),
  );

  app.delete<{ Params: { id: string } }>(
    `${BASE}/:id`,
    {
      schema: {
        operationId: 'removeWebhook',
        tags,
        security,
        summary: 'Remove a webhook endpoint',
        description: 'As `webhooks remove`: its deliveries, sent or not, go with it.',
        params,
        response: {
          200: answer('The removed endpoint.', WEBHOOK_SCHEMA),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(
        reply,
        200,
        webhookJson(await webhooks.remove(request.params.id, actorOf(request))),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    `${BASE}/:id/rotate-secret`,
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        security,
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          'As `webhooks rotate-secret`: a new secret, shown once; the current one signs too for ' +
          '`overlap` (default 24h; `0`: not at all), so events carry two `v1,` signatures meanwhile.',
        params,
        body: bodySchema({
          overlap: {
            type: 'string',
            pattern: '^(0|[1-9][0-9]{0,5}[smhd])$',
            examples: ['24h'],
            description: 'How long the current secret signs too.',
          },
        }),
        response: {
          201: answer('The endpoint, with its new signing secret.', CREATED_WEBHOOK_SCHEMA),
          ...errorResponses(400, 401, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['overlap'], { optional: true });
      const overlap = body.string('overlap');
      const { record, secret } = await webhooks.rotateSecret(
        request.params.id,
        overlap === undefined ? DEFAULT_SECRET_OVERLAP_MS : parseOverlap(overlap),
        actorOf(request),
      );
      return sendJson(reply, 201, { ...webhookJson(record), secret });
    },
  );

  app.post<{ Params: { id: string } }>(
    `${BASE}/:id/enable`,
    {
      schema: {
        operationId: 'enableWebhook',
        tags,
        security,
        summary: 'Enable a disabled webhook endpoint',
        description: 'As `webhooks enable`: after a 410 Gone, or days of failures.',
        params,
        response: {
          200: answer('The endpoint.', WEBHOOK_SCHEMA),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(
        reply,
        200,
        webhookJson(await webhooks.enable(request.params.id, actorOf(request))),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    `${BASE}/:id/test`,
    {
      schema: {
        operationId: 'testWebhook',
        tags,
        security,
        summary: 'Send a test event',
        description:
          'As `webhooks test`: one signed `webhook.test` event now, no retry, nothing queued.',
        params,
        response: {
          200: answer('How the receiver answered.', WEBHOOK_TEST_SCHEMA),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(reply, 200, outcomeJson(await webhooks.test(request.params.id)));
    },
  );

  app.get<{ Params: { id: string } }>(
    `${BASE}/:id/deliveries`,
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        security,
        summary: "An endpoint's deliveries",
        description: 'As `webhooks deliveries`: newest first.',
        params,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', default: '50' } },
          additionalProperties: false,
        },
        response: {
          200: answer('The deliveries.', { type: 'array', items: DELIVERY_SCHEMA }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, ['limit'], { what: 'query parameter' });
      const limit =
        query.parsed(
          'limit',
          (v) => (/^[1-9][0-9]{0,2}$/.test(v) ? Number(v) : null),
          'a whole number from 1 to 999',
        ) ?? 50;
      const rows = await webhooks.deliveries(request.params.id, limit);
      return sendJson(
        reply,
        200,
        rows.map((row) => deliveryJson(row)),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/v1/webhook-deliveries/:id/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhook',
        tags,
        security,
        summary: 'Send a delivery again',
        description:
          'As `webhooks redeliver`: due again at once, attempts counted anew, same `webhook-id`.',
        params: idParams('id', 'The delivery id, e.g. `whd_42`.'),
        response: {
          200: answer('The delivery.', DELIVERY_SCHEMA),
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(
        reply,
        200,
        deliveryJson(await webhooks.redeliver(request.params.id, actorOf(request))),
      );
    },
  );
};
