import type { FastifyInstance } from 'fastify';
import type { ResourceType } from '../../domain/power.js';
import type { MachineService, ResourcePlacement } from '../../services/machine-service.js';
import { machineJson } from '../../services/views.js';
import { Errors } from '../api-errors.js';
import { actorOf } from './admin-auth.js';
import { FieldReader } from './admin-body.js';
import {
  ADMIN_BEARER,
  ADMIN_TAGS,
  answer,
  bodySchema,
  errorResponses,
  idParams,
  MACHINE_SCHEMA,
  MOVED_MACHINE_SCHEMA,
  REMOVED_MACHINE_SCHEMA,
  sendJson,
} from './admin-schemas.js';

/** The two kinds of machine differ only in these facts. */
interface MachineFamily {
  readonly path: string;
  readonly type: ResourceType;
  readonly noun: string;
  readonly command: string;
  readonly tag: string;
  /** Operation ids: `createVps`, `listGameServers`... */
  readonly singular: string;
  readonly plural: string;
}

const MACHINE_FAMILIES: readonly MachineFamily[] = [
  {
    path: 'vps',
    type: 'vps',
    noun: 'VPS',
    command: 'vps',
    tag: ADMIN_TAGS.vps,
    singular: 'Vps',
    plural: 'Vps',
  },
  {
    path: 'game-servers',
    type: 'game',
    noun: 'game server',
    command: 'game',
    tag: ADMIN_TAGS.game,
    singular: 'GameServer',
    plural: 'GameServers',
  },
];

const security = [{ [ADMIN_BEARER]: [] }];
const PLACEMENT = {
  provider: { type: 'string', description: 'The provider that runs it.' },
  ref: { type: 'string', description: 'How the provider knows it.' },
};

const placementOf = (body: FieldReader): ResourcePlacement => {
  const provider = body.string('provider');
  const ref = body.string('ref');
  return {
    ...(provider === undefined ? {} : { provider }),
    ...(ref === undefined ? {} : { ref }),
  };
};

const registerFamily = (app: FastifyInstance, machines: MachineService, f: MachineFamily) => {
  const base = `/admin/v1/${f.path}`;
  const tags = [f.tag];
  const params = idParams('id', `The ${f.noun} id.`);

  app.post(
    base,
    {
      schema: {
        operationId: `create${f.singular}`,
        tags,
        security,
        summary: `Add a ${f.noun}`,
        description: `As \`${f.command} add\`: a ${f.noun} of a customer, run by a provider. \`ref\` defaults to the id.`,
        body: bodySchema(
          {
            id: { type: 'string', description: `The ${f.noun} id.` },
            customer_id: { type: 'string', description: 'The customer who owns it.' },
            ...PLACEMENT,
          },
          ['id', 'customer_id', 'provider'],
        ),
        response: {
          201: answer(`The ${f.noun}.`, MACHINE_SCHEMA),
          ...errorResponses(400, 401, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['id', 'customer_id', 'provider', 'ref']);
      const id = body.string('id', { required: true });
      const customerId = body.string('customer_id', { required: true });
      const provider = body.string('provider', { required: true });
      const ref = body.string('ref');
      const record = await machines.addResource(
        { type: f.type, id, customerId, provider, ...(ref === undefined ? {} : { ref }) },
        actorOf(request),
      );
      return sendJson(reply, 201, machineJson(record));
    },
  );

  app.get(
    base,
    {
      schema: {
        operationId: `list${f.plural}`,
        tags,
        security,
        summary: `List ${f.noun}s`,
        description: `As \`${f.command} list\`.`,
        querystring: {
          type: 'object',
          properties: { customer_id: { type: 'string', description: "Only this customer's." } },
          additionalProperties: false,
        },
        response: {
          200: answer(`The ${f.noun}s.`, { type: 'array', items: MACHINE_SCHEMA }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, ['customer_id'], { what: 'query parameter' });
      const customerId = query.string('customer_id');
      const records = await machines.listResources({
        type: f.type,
        ...(customerId === undefined ? {} : { customerId }),
      });
      return sendJson(
        reply,
        200,
        records.map((record) => machineJson(record)),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    `${base}/:id`,
    {
      schema: {
        operationId: `get${f.singular}`,
        tags,
        security,
        summary: `Show a ${f.noun}`,
        description: `As \`${f.command} show\`.`,
        params,
        response: { 200: answer(`The ${f.noun}.`, MACHINE_SCHEMA), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) =>
      sendJson(reply, 200, machineJson(await machines.getResource(f.type, request.params.id))),
  );

  app.patch<{ Params: { id: string } }>(
    `${base}/:id`,
    {
      schema: {
        operationId: `update${f.singular}`,
        tags,
        security,
        summary: `Move or update a ${f.noun}`,
        description:
          `With \`customer_id\`, as \`${f.command} move\`: the ${f.noun} goes to that customer at ` +
          "once on every instance (the old customer's keys lose it), optionally with a new " +
          `\`provider\` and \`ref\`. Without it, as \`${f.command} update\`: where it runs changes, ` +
          'its customer stays.',
        params,
        body: bodySchema({
          customer_id: { type: 'string', description: 'The customer it belongs to from now on.' },
          ...PLACEMENT,
        }),
        response: {
          200: answer(
            `The ${f.noun} as it is now; after a move, with \`previous_customer_id\` and the keys that no longer name it (\`unscoped_keys\`).`,
            MOVED_MACHINE_SCHEMA,
          ),
          ...errorResponses(400, 401, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const body = new FieldReader(request.body, ['customer_id', 'provider', 'ref']);
      if (!body.has('customer_id', 'provider', 'ref'))
        throw Errors.invalidRequest('Nothing to change: give "customer_id", "provider" or "ref"');
      const customerId = body.string('customer_id');
      const placement = placementOf(body);
      const actor = actorOf(request);
      const { id } = request.params;
      if (customerId === undefined) {
        const outcome = await machines.updateResource(f.type, id, placement, actor);
        return sendJson(reply, 200, machineJson(outcome.after ?? outcome.before));
      }
      const outcome = await machines.moveResource(f.type, id, customerId, placement, actor);
      return sendJson(reply, 200, {
        ...machineJson(outcome.after ?? outcome.before),
        previous_customer_id: outcome.before.customerId,
        unscoped_keys: [...outcome.unscopedKeys],
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    `${base}/:id`,
    {
      schema: {
        operationId: `remove${f.singular}`,
        tags,
        security,
        summary: `Remove a ${f.noun}`,
        description: `As \`${f.command} remove\`: every key gets the 403 of an unknown id for it from the next request on.`,
        params,
        response: {
          200: answer(`The ${f.noun} that was removed.`, REMOVED_MACHINE_SCHEMA),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      new FieldReader(request.body, [], { optional: true });
      const outcome = await machines.removeResource(f.type, request.params.id, actorOf(request));
      return sendJson(reply, 200, {
        ...machineJson(outcome.before),
        removed: true,
        unscoped_keys: [...outcome.unscopedKeys],
      });
    },
  );
};

/** `vps` and `game` commands over HTTP, under `/admin/v1/vps` and `/admin/v1/game-servers`. */
export const registerMachineRoutes = (app: FastifyInstance, machines: MachineService): void => {
  for (const family of MACHINE_FAMILIES) registerFamily(app, machines, family);
};
