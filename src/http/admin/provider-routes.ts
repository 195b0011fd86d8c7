import type { FastifyInstance } from 'fastify';
import { PROVIDER_TYPES } from '../../providers/provider-type.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { MachineService, ProviderUpdate } from '../../services/machine-service.js';
import { testProvider } from '../../services/provider-test.js';
import { isoOrNull, providerJson } from '../../services/views.js';
import { displaySettings } from '../../providers/settings.js';
import type { ProviderStore } from '../../store/store.js';
import { Errors } from '../api-errors.js';
import { actorOf } from './admin-auth.js';
import { FieldReader } from './admin-body.js';
import {
  ADDED_PROVIDER_SCHEMA,
  ADMIN_BEARER,
  ADMIN_TAGS,
  answer,
  bodySchema,
  errorResponses,
  idParams,
  PROVIDER_SCHEMA,
  PROVIDER_TEST_SCHEMA,
  REMOVED_PROVIDER_SCHEMA,
  sendJson,
  UPDATED_PROVIDER_SCHEMA,
} from './admin-schemas.js';

export interface ProviderRouteDependencies {
  readonly machines: MachineService;
  readonly providers: ProviderStore;
  readonly registry: ProviderRegistry;
}

const BASE = '/admin/v1/providers';
const security = [{ [ADMIN_BEARER]: [] }];
const tags = [ADMIN_TAGS.providers];
const params = idParams('name', 'The provider name, e.g. `pve1`.');

const OPTION_FIELDS = {
  url: { type: 'string', description: 'proxmox, pterodactyl: the API address.' },
  token: {
    type: 'string',
    description:
      'proxmox: `USER@REALM!TOKENID=SECRET`; pterodactyl: a client API key. Stored sealed; only a masked hint is ever shown.',
  },
  ca_pem: {
    type: 'string',
    description:
      "proxmox, pterodactyl: the CA certificate(s) that signed the provider's certificate, as PEM text (`-----BEGIN CERTIFICATE-----`...), as the CLI reads them from `--ca-file`: only the certificates are kept (anything else in the text, such as a private key, is dropped), listings show the SHA-256 fingerprint of the first. Excludes `insecure_tls`.",
    examples: ['-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n'],
  },
  insecure_tls: { type: 'boolean', description: 'Do not verify the certificate (not advised).' },
  timeout_ms: { type: 'integer', minimum: 1, maximum: 300_000 },
  transition_ms: {
    type: 'integer',
    minimum: 1,
    maximum: 600_000,
    description: 'simulator: how long each power transition takes.',
  },
};

/** What `providers add` and `update` share, read from a body. */
const optionsOf = (body: FieldReader) => {
  const url = body.string('url');
  const token = body.string('token');
  const caPem = body.string('ca_pem');
  const insecureTls = body.boolean('insecure_tls');
  const timeoutMs = body.integer('timeout_ms', 1, 300_000);
  const transitionMs = body.integer('transition_ms', 1, 600_000);
  return {
    ...(url === undefined ? {} : { url }),
    ...(token === undefined ? {} : { token }),
    ...(caPem === undefined ? {} : { caPem }),
    ...(insecureTls === undefined ? {} : { insecureTls }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(transitionMs === undefined ? {} : { transitionMs }),
  };
};

/** `providers add|list|update|remove|test` over HTTP, through the same machine service. */
export const registerProviderRoutes = (
  app: FastifyInstance,
  deps: ProviderRouteDependencies,
): void => {
  const { machines } = deps;

  app.post(
    BASE,
    {
      schema: {
        operationId: 'createProvider',
        tags,
        security,
        summary: 'Add a provider',
        description:
          'As `providers add`; `ca_pem` takes what `--ca-file` reads. Check it with `POST /admin/v1/providers/{name}/test`.',
        body: bodySchema(
          {
            name: { type: 'string' },
            type: { type: 'string', enum: PROVIDER_TYPES },
            ...OPTION_FIELDS,
          },
          ['name', 'type'],
        ),
        response: {
          201: answer('The provider.', ADDED_PROVIDER_SCHEMA),
          ...errorResponses(400, 401, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['name', 'type', ...Object.keys(OPTION_FIELDS)]);
      const name = body.string('name', { required: true });
      const type = body.string('type', { required: true });
      const record = await machines.registerProvider(name, type, optionsOf(body), actorOf(request));
      return sendJson(reply, 201, {
        name: record.name,
        type: record.type,
        settings: displaySettings(record.settings),
        credential: record.secretHint,
      });
    },
  );

  app.get(
    BASE,
    {
      schema: {
        operationId: 'listProviders',
        tags,
        security,
        summary: 'List providers',
        description: 'As `providers list`: credentials only as a masked hint.',
        response: {
          200: answer('The providers.', { type: 'array', items: PROVIDER_SCHEMA }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.query, [], { what: 'query parameter' });
      const rows = await machines.listProviders();
      return sendJson(
        reply,
        200,
        rows.map(({ record, resources }) => providerJson(record, resources)),
      );
    },
  );

  app.get<{ Params: { name: string } }>(
    `${BASE}/:name`,
    {
      schema: {
        operationId: 'getProvider',
        tags,
        security,
        summary: 'Show a provider',
        params,
        response: { 200: answer('The provider.', PROVIDER_SCHEMA), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { record, resources } = await machines.getProvider(request.params.name);
      return sendJson(reply, 200, providerJson(record, resources));
    },
  );

  app.patch<{ Params: { name: string } }>(
    `${BASE}/:name`,
    {
      schema: {
        operationId: 'updateProvider',
        tags,
        security,
        summary: 'Change a provider',
        description:
          'As `providers update`: everything but the type; checked again as when added, and used by every instance from its next request. A new `ca_pem` replaces the stored CA; TLS settings not given are kept.',
        params,
        body: bodySchema({
          ...OPTION_FIELDS,
          system_ca: {
            type: 'boolean',
            description: 'Drop a stored CA and `insecure_tls`: verify with the system CAs.',
          },
        }),
        response: {
          200: answer('The provider as it is now, and what changed.', UPDATED_PROVIDER_SCHEMA),
          ...errorResponses(400, 401, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const fields = [...Object.keys(OPTION_FIELDS), 'system_ca'];
      const body = new FieldReader(request.body, fields);
      if (!body.has(...fields))
        throw Errors.invalidRequest(
          `Nothing to change: give ${fields.map((f) => `"${f}"`).join(', ')}`,
        );
      const systemCa = body.boolean('system_ca');
      const update: ProviderUpdate = {
        ...optionsOf(body),
        ...(systemCa === undefined ? {} : { systemCa }),
      };
      const { record, changed } = await machines.updateProvider(
        request.params.name,
        update,
        actorOf(request),
      );
      return sendJson(reply, 200, {
        name: record.name,
        type: record.type,
        settings: displaySettings(record.settings),
        credential: record.secretHint,
        changed: [...changed],
        updated_at: isoOrNull(record.updatedAt),
      });
    },
  );

  app.delete<{ Params: { name: string } }>(
    `${BASE}/:name`,
    {
      schema: {
        operationId: 'removeProvider',
        tags,
        security,
        summary: 'Remove a provider',
        description: 'As `providers remove`: refused (409 `in_use`) while machines use it.',
        params,
        response: {
          200: answer('The provider was removed.', REMOVED_PROVIDER_SCHEMA),
          ...errorResponses(400, 401, 404, 409),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      const { name } = request.params;
      await machines.removeProvider(name, actorOf(request));
      return sendJson(reply, 200, { name, removed: true });
    },
  );

  app.post<{ Params: { name: string } }>(
    `${BASE}/:name/test`,
    {
      schema: {
        operationId: 'testProvider',
        tags,
        security,
        summary: 'Test a provider',
        description:
          'As `providers test`: a harmless call that checks reachability and the credential. A failed check is still a 200, with `ok: false`.',
        params,
        response: {
          200: answer('What the check found.', PROVIDER_TEST_SCHEMA),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      return sendJson(
        reply,
        200,
        await testProvider(deps.providers, deps.registry, request.params.name),
      );
    },
  );
};
