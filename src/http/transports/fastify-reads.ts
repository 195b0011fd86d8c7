import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FAMILIES, type PowerFamily } from '../../domain/power.js';
import type { ActionReader } from '../../services/action-reader.js';
import type { StateReader } from '../../services/state-reader.js';
import type { ResourceRecord } from '../../store/store.js';
import type { HttpConventions } from '../conventions.js';
import type { PowerPipeline, ReadRequest, ReadRoute } from '../power-pipeline.js';
import {
  actionCursor,
  actionJson,
  actionPosition,
  actionView,
  isRefusal,
  machineAfter,
  machineCursor,
  pageSize,
} from '../read-answers.js';
import { Refusals } from '../../domain/refusal.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import { type ReadRouteName, readRouteSchema } from '../schemas/read-schema.js';

export interface FastifyReadDependencies {
  readonly pipeline: PowerPipeline;
  readonly conventions: HttpConventions;
  readonly reader: ActionReader;
  readonly states: StateReader;
}

type Params = Readonly<Record<string, string | undefined>>;
type Query = Readonly<Record<string, unknown>>;

/** What one read route answers, given its request's path and query, once the rules passed. */
type Reading = (
  family: PowerFamily,
  params: Params,
  query: Query,
  request: FastifyRequest,
) => ReadRequest['respond'];

const machineOf = (machine: ResourceRecord | undefined): ResourceRecord => {
  if (machine === undefined) throw new Error('a machine route ran without its machine');
  return machine;
};

/**
 * The read routes: a machine's actions, one action, and the machines a key reaches. Fastify
 * routes the request and parses its path and query; the pipeline applies the rules and calls the
 * route's reading; the answer is written through the same conventions as every power answer.
 */
export const registerReadRoutes = (app: FastifyInstance, deps: FastifyReadDependencies): void => {
  const { pipeline, conventions, reader, states } = deps;

  const listActions: Reading = (family, _params, query) => async (_principal, machine) => {
    const limit = pageSize(query);
    if (isRefusal(limit)) return { refusal: limit };
    const after = actionPosition(query.cursor);
    if (isRefusal(after)) return { refusal: after };
    const page = await reader.actions(machineOf(machine), limit, after);
    return {
      body: JSON.stringify({
        success: true,
        actions: page.actions.map((action) => actionView(family, action)),
        next_cursor: page.next === null ? null : actionCursor(page.next),
      }),
    };
  };

  const getAction: Reading = (family, params) => async (_principal, machine) => {
    const found = await reader.action(machineOf(machine), params.action_id ?? '');
    return found === undefined
      ? { refusal: Refusals.action_not_found }
      : { body: actionJson(family, found) };
  };

  const getStatus: Reading = (family, _params, _query, request) => async (_principal, found) => {
    const machine = machineOf(found);
    const [reading, last] = await Promise.all([
      states.read(machine, { requestId: request.id, logger: request.log }),
      reader.lastAction(machine),
    ]);
    if (reading === null) return { refusal: Refusals.state_unreadable };
    return {
      body: JSON.stringify({
        success: true,
        [family.idField]: machine.id,
        state: reading.state,
        checked_at: new Date(reading.checkedAt).toISOString(),
        last_action: last === null ? null : actionView(family, last),
      }),
    };
  };

  const listMachines: Reading = (family, _params, query) => async (principal) => {
    const limit = pageSize(query);
    if (isRefusal(limit)) return { refusal: limit };
    const after = machineAfter(query.cursor);
    if (isRefusal(after)) return { refusal: after };
    const page = await reader.machines(principal, family.type, limit, after);
    const field = family.type === 'vps' ? 'vps' : 'servers';
    return {
      body: JSON.stringify({
        success: true,
        [field]: page.ids.map((id) => ({ [family.idField]: id })),
        next_cursor: page.next === null ? null : machineCursor(page.next),
      }),
    };
  };

  const register = (
    family: PowerFamily,
    template: string,
    name: ReadRouteName,
    machine: boolean,
    reading: Reading,
  ) => {
    const route: ReadRoute = { family, template, machine };
    const serve = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      reply.hijack();
      const started = performance.now() - reply.elapsedTime;
      const params = request.params as Params;
      const query = (request.query ?? {}) as Query;
      const answer = await pipeline.read({
        route,
        resourceId: machine ? (params[family.pathParam] ?? '') : '',
        authorization: request.headers.authorization,
        requestId: request.id,
        clientAddress: () => request.ip,
        log: request.log,
        respond: reading(family, params, query, request),
      });
      const labels = { route: template, method: 'GET', status: answer.status, family: family.type };
      conventions.write(reply.raw, request.id, answer, labels, started, request.log, () => request);
    };
    app.route({
      method: 'GET',
      url: template,
      schema: readRouteSchema(family, name),
      handler: serve,
    });
    refuseOtherMethods(app, template, ['GET', 'HEAD']);
  };

  for (const family of FAMILIES) {
    const one = `${family.basePath}/:${family.pathParam}`;
    register(family, family.basePath, 'listMachines', false, listMachines);
    register(family, `${one}/actions`, 'listActions', true, listActions);
    register(family, `${one}/actions/:action_id`, 'getAction', true, getAction);
    register(family, `${one}/status`, 'getStatus', true, getStatus);
  }
};
