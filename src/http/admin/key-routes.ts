import type { FastifyInstance } from 'fastify';
import { KEY_SCOPES } from '../../domain/access.js';
import { DEFAULT_ROTATION_OVERLAP_MS, type KeyService } from '../../services/key-service.js';
import { keyJson } from '../../services/views.js';
import type { ResourceRef } from '../../store/store.js';
import { actorOf } from './admin-auth.js';
import { FieldReader } from './admin-body.js';
import {
  ADMIN_BEARER,
  ADMIN_TAGS,
  answer,
  bodySchema,
  CREATED_KEY_SCHEMA,
  errorResponses,
  idParams,
  KEY_SCHEMA,
  ROTATED_KEY_SCHEMA,
  sendJson,
} from './admin-schemas.js';

const BASE = '/admin/v1/keys';
const CREATE_FIELDS = [
  'customer_id',
  'scope',
  'vps',
  'servers',
  'expires_in',
  'name',
  'allowed_ips',
];
const security = [{ [ADMIN_BEARER]: [] }];
const tags = [ADMIN_TAGS.keys];
const params = idParams('id', 'The key id, e.g. `key_4Yb1dQ0aZk3xN9tR`.');
const DURATION = { type: 'string', pattern: '^[1-9][0-9]{0,5}[smhd]$', examples: ['30d'] };

/** `keys create|list|show|revoke|rotate` over HTTP, through the same key service. */
export const registerKeyRoutes = (app: FastifyInstance, keys: KeyService): void => {
  app.post(
    BASE,
    {
      schema: {
        operationId: 'createKey',
        tags,
        security,
        summary: 'Create an API key',
        description:
          'As `keys create`. The answer holds the key itself, once: it is never shown again.',
        body: bodySchema(
          {
            customer_id: { type: 'string', description: 'The customer the key belongs to.' },
            scope: { type: 'string', enum: KEY_SCOPES, default: 'power' },
            vps: {
              type: 'array',
              items: { type: 'string' },
              description: 'Limit it to these VPS.',
            },
            servers: {
              type: 'array',
              items: { type: 'string' },
              description: 'Limit it to these game servers.',
            },
            expires_in: { ...DURATION, description: 'Expire after this long.' },
            name: { type: 'string', description: 'A label for operators.' },
            allowed_ips: {
              type: 'array',
              items: { type: 'string' },
              description: 'Only accept it from these addresses or networks.',
            },
          },
          ['customer_id'],
        ),
        response: {
          201: answer('The key, with the key itself.', CREATED_KEY_SCHEMA),
          ...errorResponses(400, 401, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, CREATE_FIELDS);
      const customerId = body.string('customer_id', { required: true });
      const scope = body.oneOf('scope', KEY_SCOPES) ?? 'power';
      const resources: ResourceRef[] = [
        ...body.strings('vps').map((id) => ({ type: 'vps' as const, id })),
        ...body.strings('servers').map((id) => ({ type: 'game' as const, id })),
      ];
      const expiresInMs = body.duration('expires_in');
      const name = body.string('name');
      const allowedIps = body.strings('allowed_ips');
      const { record, plaintext } = await keys.create(
        {
          customerId,
          scope,
          resources,
          ...(expiresInMs === undefined ? {} : { expiresInMs }),
          ...(name === undefined ? {} : { name }),
          allowedIps,
        },
        actorOf(request),
      );
      return sendJson(reply, 201, { ...keyJson(record), key: plaintext });
    },
  );

  app.get(
    BASE,
    {
      schema: {
        operationId: 'listKeys',
        tags,
        security,
        summary: 'List API keys',
        description: 'As `keys list`: never the keys themselves.',
        querystring: {
          type: 'object',
          properties: {
            customer_id: { type: 'string', description: "Only this customer's keys." },
          },
          additionalProperties: false,
        },
        response: {
          200: answer('The keys, oldest first.', { type: 'array', items: KEY_SCHEMA }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, ['customer_id'], { what: 'query parameter' });
      const rows = await keys.list(query.string('customer_id'));
      return sendJson(
        reply,
        200,
        rows.map((key) => keyJson(key)),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    `${BASE}/:id`,
    {
      schema: {
        operationId: 'getKey',
        tags,
        security,
        summary: 'Show an API key',
        description: 'As `keys show`: never the key itself.',
        params,
        response: { 200: answer('The key.', KEY_SCHEMA), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => sendJson(reply, 200, keyJson(await keys.get(request.params.id))),
  );

  app.post<{ Params: { id: string } }>(
    `${BASE}/:id/revoke`,
    {
      schema: {
        operationId: 'revokeKey',
        tags,
        security,
        summary: 'Revoke an API key',
        description:
          'As `keys revoke`: refused from the very next request, on every instance. Revoking a ' +
          'revoked key changes nothing and answers the key as it is.',
        params,
        response: { 200: answer('The revoked key.', KEY_SCHEMA), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(reply, 200, keyJson(await keys.revoke(request.params.id, actorOf(request))));
    },
  );

  app.post<{ Params: { id: string } }>(
    `${BASE}/:id/rotate`,
    {
      schema: {
        operationId: 'rotateKey',
        tags,
        security,
        summary: 'Rotate an API key',
        description:
          'As `keys rotate`: a new key with the same customer, scope, machines, allowlist and ' +
          'expiry, shown once; the old one keeps working for `overlap` (default 24h), then expires.',
        params,
        body: bodySchema({
          overlap: { ...DURATION, description: 'How long the old key keeps working.' },
        }),
        response: {
          201: answer(
            'The new key, with the key itself, and the key it replaces.',
            ROTATED_KEY_SCHEMA,
          ),
          ...errorResponses(400, 401, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['overlap'], { optional: true });
      const overlap = body.duration('overlap') ?? DEFAULT_ROTATION_OVERLAP_MS;
      const { created, old } = await keys.rotate(request.params.id, overlap, actorOf(request));
      return sendJson(reply, 201, {
        ...keyJson(created.record),
        key: created.plaintext,
        replaces: keyJson(old),
      });
    },
  );
};
