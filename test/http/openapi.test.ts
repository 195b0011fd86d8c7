import { Validator } from '@seriousme/openapi-schema-validator';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { HTTPMethods, LightMyRequestResponse, RouteOptions } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PowerRoute } from '../../src/http/power-pipeline.js';
import { requestFingerprint } from '../../src/services/idempotency-guard.js';
import type { SqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import { POSTGRES_REDIS } from '../helpers/backends.js';
import { bearer, expectError } from '../helpers/expect-http.js';
import { FAMILY_CASES, type FamilyCase } from '../helpers/families.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

type Document = OpenAPIV3_1.Document;
type Operation = OpenAPIV3_1.OperationObject;
type Response = OpenAPIV3_1.ResponseObject;

interface ServedRoute {
  readonly url: string;
  readonly methods: readonly HTTPMethods[];
  readonly hidden: boolean;
  readonly power: PowerRoute | undefined;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: LightMyRequestResponse['headers'];
}

const answer = (res: LightMyRequestResponse): Answer => ({
  status: res.statusCode,
  body: res.body,
  headers: res.headers,
});

/** `/v1/hosting/cloud/vps-custom/:id/start` as OpenAPI writes it. */
const documentPath = (url: string): string => url.replace(/:([A-Za-z_]+)/g, '{$1}');

const familyOf = (power: PowerRoute): FamilyCase => {
  const found = FAMILY_CASES.find((family) => family.name === power.family.type);
  if (found === undefined) throw new Error(`no test data for ${power.family.type}`);
  return found;
};

/** A concrete path for a route: a customer's own machine where the route takes an id. */
const concrete = (url: string): string =>
  url.replace(':id', 'vps_123').replace(':server_id', 'srv_123');

/** The operation documented for a route's method; fails the test when there is none. */
const operationOf = (document: Document, url: string, method: string): Operation => {
  const item = document.paths?.[documentPath(url)] as Record<string, Operation | undefined>;
  const operation = item[method.toLowerCase()];
  if (operation === undefined) throw new Error(`${method} ${url} is not documented`);
  return operation;
};

const unique = (values: readonly string[]): string[] => [...new Set(values)].sort();

/** The example bodies of a documented response, as the bytes a client would receive. */
const exampleBodies = (response: Response): string[] => {
  const media = response.content?.['application/json'];
  if (media === undefined) return [];
  if (media.examples !== undefined) {
    return Object.values(media.examples).map((example) =>
      JSON.stringify((example as OpenAPIV3_1.ExampleObject).value),
    );
  }
  return media.example === undefined ? [] : [JSON.stringify(media.example)];
};

/** The methods an OpenAPI 3.1 path item has a field for. */
const LISTED = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);
const isListed = (method: string): boolean => LISTED.has(method);

/** The routes that read what a key asked for: a family's machines and their actions. */
const isReadRoute = (url: string): boolean =>
  /^\/v1\/hosting\/(cloud\/vps-custom|game\/power)(\/:[a-z_]+\/(actions(\/:action_id)?|status))?$/.test(
    url,
  );

describe('the OpenAPI document', () => {
  const routes: ServedRoute[] = [];
  // One service per condition a status needs: the standard fixture, a limit of one request per
  // key, an audit log that cannot be written, a store busy beyond its timeout, a closed store.
  let main: TestService;
  let limited: TestService;
  let auditBroken: TestService;
  let busy: TestService;
  let closed: TestService;
  /** Reads fail: the tables of machines and actions are gone (500). */
  let readBroken: TestService;
  let readBrokenKey: string;
  /** On PostgreSQL, with the tables reads use locked beyond the store's timeout (503). */
  let readBusy: TestService;
  let readBusyKey: string;
  let locker: pg.Client;
  /** A short request time-out, on a socket: a body that does not arrive gets its 408. */
  let slow: TestService;
  let slowPort: number;
  let slowKey: string;
  let blocker: BetterSqlite3.Database;
  let power: string;
  let powerId: string;
  let read: string;
  /** Power keys of cus_a on `auditBroken` and `busy`, made while their store still took writes. */
  const failingKeys = new Map<TestService, string>();
  let document: Document;

  beforeAll(async () => {
    main = await startWithCustomers({
      config: { rateLimitPerMinute: 100_000 },
      onRoute: (route: RouteOptions) => {
        routes.push({
          url: route.url,
          methods: Array.isArray(route.method) ? route.method : [route.method],
          hidden: route.schema?.hide === true,
          power: route.config?.power,
        });
      },
    });
    await main.addVps('vps_broken', 'cus_a', 'sim', 'fail-vps');
    await main.addGame('srv_broken', 'cus_a', 'sim', 'fail-srv');
    await main.addVps('vps_unreadable', 'cus_a', 'sim', 'fail-state');
    await main.addGame('srv_unreadable', 'cus_a', 'sim', 'fail-state');
    ({ key: power, id: powerId } = await main.createKey('cus_a'));
    read = (await main.createKey('cus_a', { scope: 'read' })).key;

    limited = await startWithCustomers({
      config: { rateLimitPerMinute: 1, readRateLimitPerMinute: 1 },
    });

    auditBroken = await startWithCustomers();
    failingKeys.set(auditBroken, (await auditBroken.createKey('cus_a')).key);
    await auditBroken.breakAuditTable();

    // Another process holds the write lock; this instance waits for it 100 ms, not 5 s.
    busy = await startWithCustomers({ config: { storeTimeoutMs: 100 } });
    failingKeys.set(busy, (await busy.createKey('cus_a')).key);
    blocker = new BetterSqlite3((busy.store as SqliteStore).location);
    blocker.exec('BEGIN IMMEDIATE');

    closed = await startWithCustomers();
    await closed.store.close();

    readBroken = await startWithCustomers();
    readBrokenKey = (await readBroken.createKey('cus_a')).key;
    const moved = new BetterSqlite3((readBroken.store as SqliteStore).location);
    try {
      moved.exec('ALTER TABLE actions RENAME TO actions_moved');
      moved.exec('ALTER TABLE resources RENAME TO resources_moved');
    } finally {
      moved.close();
    }

    readBusy = await startWithCustomers({
      backend: POSTGRES_REDIS,
      config: { storeTimeoutMs: 200 },
    });
    readBusyKey = (await readBusy.createKey('cus_a')).key;
    locker = new pg.Client({ connectionString: readBusy.container.config.databaseUrl });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE actions, resources IN ACCESS EXCLUSIVE MODE');

    slow = await startWithCustomers({
      config: { requestTimeoutMs: 100, rateLimitPerMinute: 1_000 },
    });
    slowKey = (await slow.createKey('cus_a')).key;
    slowPort = Number(new URL(await slow.fastify.listen({ host: '127.0.0.1', port: 0 })).port);

    const res = await main.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    document = JSON.parse(res.body) as Document;
  });

  afterAll(async () => {
    blocker.exec('ROLLBACK');
    blocker.close();
    await locker.query('ROLLBACK');
    await locker.end();
    await Promise.all([
      readBroken.close(),
      readBusy.close(),
      main.close(),
      limited.close(),
      auditBroken.close(),
      busy.close(),
      closed.close(),
      slow.close(),
    ]);
  });

  it('is served at /openapi.json as JSON, with a request id', async () => {
    const res = await main.inject({
      method: 'GET',
      url: '/openapi.json',
      headers: { 'x-request-id': 'doc-fetch-1' },
    });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-request-id']).toBe('doc-fetch-1');
    const head = await main.inject({ method: 'HEAD', url: '/openapi.json' });
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
  });

  it('declares the Bearer scheme and requires it on every power operation, and on nothing else', () => {
    expect(document.components?.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }) as unknown,
    });
    for (const route of routes.filter((r) => !r.hidden)) {
      for (const method of route.methods.filter(isListed)) {
        const operation = operationOf(document, route.url, method);
        const secured = (route.power !== undefined && method === 'POST') || isReadRoute(route.url);
        expect({ route: route.url, method, security: operation.security }).toEqual({
          route: route.url,
          method,
          security: secured ? [{ apiKey: [] }] : [],
        });
      }
    }
  });

  it('documents force as what confirms, without filling it in: no example or default to send', () => {
    for (const family of FAMILY_CASES) {
      for (const action of family.actions) {
        const operation = document.paths?.[`${family.base}/{${family.param}}/${action}`]?.post;
        const force = operation?.parameters?.find(
          (p) => (p as OpenAPIV3_1.ParameterObject).name === 'force',
        ) as OpenAPIV3_1.ParameterObject | undefined;
        const body = operation?.requestBody as OpenAPIV3_1.RequestBodyObject;
        expect(body.required).toBe(false);
        expect(Object.keys(body.content)).toEqual(['application/json']);
        const media = body.content['application/json'];
        expect(media?.example).toBeUndefined();
        const examples = Object.values(media?.examples ?? {}).map(
          (example) => (example as OpenAPIV3_1.ExampleObject).value as unknown,
        );
        // The docs page starts from the first example: one that confirms nothing.
        expect(examples[0]).toEqual({});
        const schema = media?.schema as OpenAPIV3_1.SchemaObject;
        expect(schema.type).toBe('object');
        if (action === family.confirm) {
          expect(force).toEqual({
            in: 'query',
            name: 'force',
            required: false,
            schema: { type: 'string', enum: ['true'] },
            description: expect.stringContaining('`force=true` confirms') as unknown,
          });
          expect(examples).toEqual([{}, { force: true }]);
          expect(schema.properties?.force).toMatchObject({ enum: [true, 'true'] });
        } else {
          expect(force).toBeUndefined();
          expect(examples).toEqual([{}]);
        }
      }
    }
  });

  it('gives no request parameter but the path ids a value the docs page would send', () => {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item ?? {})) {
        for (const value of (operation as Operation).parameters ?? []) {
          const parameter = value as OpenAPIV3_1.ParameterObject;
          if (parameter.in === 'path') continue;
          const schema = parameter.schema as OpenAPIV3_1.SchemaObject;
          expect({
            path,
            method,
            name: parameter.name,
            values: [
              parameter.example,
              parameter.examples,
              schema.default,
              schema.examples,
              schema.example,
            ],
          }).toEqual({
            path,
            method,
            name: parameter.name,
            values: [undefined, undefined, undefined, undefined, undefined],
          });
        }
      }
    }
  });

  it('describes each webhook event: its body, the action as data, and the signature headers', () => {
    const webhooks = (document as { webhooks?: Record<string, Record<string, unknown>> }).webhooks;
    expect(Object.keys(webhooks ?? {}).sort()).toEqual([
      'power.action.failed',
      'power.action.requested',
      'power.action.succeeded',
      'power.action.timed_out',
    ]);
    for (const [type, item] of Object.entries(webhooks ?? {})) {
      const post = item.post as {
        parameters: { name: string; in: string }[];
        requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
      };
      expect(post.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
        'header:webhook-id',
        'header:webhook-timestamp',
        'header:webhook-signature',
      ]);
      const schema = post.requestBody.content['application/json']?.schema as {
        properties: { type: { const: string }; data: { oneOf: { required: string[] }[] } };
      };
      expect(schema.properties.type.const).toBe(type);
      expect(schema.properties.data.oneOf.map((o) => o.required.at(-1))).toEqual([
        'vps_id',
        'server_id',
      ]);
    }
  });

  it('names every operation with a stable operationId', () => {
    const ids = Object.values(document.paths ?? {}).flatMap((item) =>
      Object.values(item ?? {}).map((operation) => (operation as Operation).operationId),
    );
    expect(ids.sort()).toEqual(
      [
        'getHealth',
        'headHealth',
        'getReadiness',
        'headReadiness',
        'getOpenApiDocument',
        'headOpenApiDocument',
        'startVps',
        'stopVps',
        'resetVps',
        'startGameServer',
        'stopGameServer',
        'restartGameServer',
        'killGameServer',
        'listVpss',
        'listGameServers',
        'listVpsActions',
        'listGameServerActions',
        'getVpsAction',
        'getGameServerAction',
        'getVpsStatus',
        'getGameServerStatus',
      ].sort(),
    );
  });

  it('refers every body to a named component: a success per family, an error envelope per status', () => {
    const schemas = document.components?.schemas ?? {};
    for (const item of Object.values(document.paths ?? {})) {
      for (const operation of Object.values(item ?? {})) {
        for (const [status, value] of Object.entries((operation as Operation).responses ?? {})) {
          const media = (value as Response).content?.['application/json'];
          if (media === undefined || (operation as Operation).operationId?.includes('OpenApi'))
            continue;
          const ref = (media.schema as OpenAPIV3_1.ReferenceObject).$ref;
          const name = ref.replace('#/components/schemas/', '');
          const component = schemas[name] as OpenAPIV3_1.SchemaObject;
          expect(component, ref).toBeDefined();
          if (Number(status) >= 400) {
            expect(name).toMatch(/Error$/);
            const codes = (component.properties?.error as OpenAPIV3_1.SchemaObject).enum;
            for (const example of Object.values(media.examples ?? {})) {
              const body = (example as OpenAPIV3_1.ExampleObject).value as { error: string };
              expect(codes).toContain(body.error);
            }
          }
        }
      }
    }
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'VpsPowerResult',
        'GameServerPowerResult',
        'ForbiddenError',
        'TooManyRequestsError',
        'MethodNotAllowedError',
      ]),
    );
    expect((schemas.ForbiddenError as OpenAPIV3_1.SchemaObject).properties?.error).toMatchObject({
      enum: expect.arrayContaining(['unauthorized', 'forbidden', 'insufficient_scope']) as unknown,
    });
    expect((schemas.VpsPowerResult as OpenAPIV3_1.SchemaObject).properties?.action).toMatchObject({
      enum: ['start', 'stop', 'reset'],
    });
  });

  it('documents 405 once, as a shared response, with the body every other method gets', async () => {
    const shared = document.components?.responses?.MethodNotAllowed as Response;
    const res = await main.inject({
      method: 'GET',
      url: '/v1/hosting/cloud/vps-custom/vps_123/start',
    });
    expect(res.statusCode).toBe(405);
    expect(exampleBodies(shared)).toEqual([res.body]);
    expect(Object.keys(shared.headers ?? {})).toEqual(['X-Request-Id', 'Allow']);
    expect(document.info.description).toContain('answers 405');
  });

  it('names the origin it was requested from as its server, or HEO_PUBLIC_URL', async () => {
    const at = async (service: TestService, headers: Record<string, string>) =>
      (
        JSON.parse(
          (await service.inject({ method: 'GET', url: '/openapi.json', headers })).body,
        ) as Document
      ).servers;
    expect(await at(main, { host: '10.1.2.3:8080' })).toEqual([{ url: 'http://10.1.2.3:8080' }]);
    expect(await at(main, { host: 'power.internal' })).toEqual([{ url: 'http://power.internal' }]);
    // A Host that is no host cannot be echoed into the document.
    expect(await at(main, { host: 'x"/><script>' })).toEqual([{ url: '/' }]);
    const configured = await startWithCustomers({
      config: { publicUrl: 'https://power.example.net/api' },
    });
    try {
      expect(await at(configured, { host: '10.1.2.3:8080' })).toEqual([
        { url: 'https://power.example.net/api' },
      ]);
    } finally {
      await configured.close();
    }
  });

  it('lists every route the app serves, and nothing it does not serve', async () => {
    const served = new Set<string>();
    for (const route of routes) {
      if (route.hidden) {
        // The docs page's own files are not part of the API; every other method on a known path
        // is the one shared 405 response.
        if (!/^\/docs(\/|$)/.test(route.url)) {
          for (const method of route.methods) {
            const res = await main.inject({ method, url: concrete(route.url) });
            expect(`${method} ${route.url} ${res.statusCode}`).toBe(`${method} ${route.url} 405`);
          }
        }
        continue;
      }
      const item = document.paths?.[documentPath(route.url)] as Record<string, unknown>;
      expect(item, route.url).toBeDefined();
      for (const method of route.methods) {
        if (!isListed(method)) {
          // OpenAPI 3.1 has no field for QUERY, WebDAV's methods, PURGE...: they are refused like
          // every other method, but cannot be listed.
          expect(item[method.toLowerCase()]).toBeUndefined();
          const res = await main.inject({
            method,
            url: concrete(route.url),
            headers: { 'content-type': 'application/json' },
            payload: '{}',
          });
          expect(res.statusCode).toBe(405);
          continue;
        }
        expect(item[method.toLowerCase()], `${method} ${route.url}`).toBeDefined();
        served.add(`${method.toLowerCase()} ${documentPath(route.url)}`);
      }
    }
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item ?? {}).map((method) => `${method} ${path}`),
    );
    expect(unique(documented)).toEqual(unique([...served]));
    expect(served.size).toBe(21);
  });

  /** Every way to get an answer from a power endpoint, one per documented status and case. */
  const powerAnswers = async (route: PowerRoute): Promise<Answer[]> => {
    const family = familyOf(route);
    const action = route.action;
    const confirm = action === family.confirm ? '?force=true' : '';
    const url = (id: string) => `${family.base}/${id}/${action}`;
    const post = async (
      service: TestService,
      path: string,
      key: string | undefined,
      body?: { type: string; payload: string },
      idempotencyKey?: string,
    ) =>
      answer(
        await service.inject({
          method: 'POST',
          url: path,
          headers: {
            ...(key === undefined ? {} : bearer(key)),
            ...(body === undefined ? {} : { 'content-type': body.type }),
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
          ...(body === undefined ? {} : { payload: body.payload }),
        }),
      );
    const own = family.own;
    const broken = family.name === 'vps' ? 'vps_broken' : 'srv_broken';
    const answers: Answer[] = [];
    // 200: a reset needs a running machine.
    await post(main, `${family.base}/${own}/start`, power);
    answers.push(await post(main, `${url(own)}${confirm}`, power));
    if (confirm !== '') answers.push(await post(main, url(own), power));
    answers.push(
      await post(main, `${url(own)}${confirm}`, power, { type: 'application/json', payload: '{' }),
    );
    answers.push(await post(main, url(own), undefined));
    answers.push(await post(main, `${url(family.foreign)}${confirm}`, power));
    answers.push(await post(main, `${url(own)}${confirm}`, read));
    answers.push(await post(main, `${url(own)}/`, power));
    answers.push(
      await post(main, url(own), power, { type: 'application/json', payload: 'x'.repeat(17_000) }),
    );
    answers.push(await post(main, url(own), power, { type: 'text/plain', payload: 'force=true' }));
    answers.push(await post(main, `${url(broken)}${confirm}`, power));

    // Idempotency-Key: malformed (400), a replay (200), reused for another request (422), in
    // use by a running request or ended without an outcome (409, claims made in the store).
    answers.push(await post(main, `${url(own)}${confirm}`, power, undefined, 'not a token'));
    answers.push(await post(main, `${url(own)}${confirm}`, power, undefined, '""'));
    const idem = `"${family.name}-${action}-${Date.now()}"`;
    answers.push(await post(main, `${url(own)}${confirm}`, power, undefined, idem));
    answers.push(await post(main, `${url(own)}${confirm}`, power, undefined, idem));
    const other = { type: 'application/json', payload: '{"other":true}' };
    answers.push(await post(main, `${url(own)}${confirm}`, power, other, idem));
    const now = Date.now();
    for (const [name, leaseUntil] of [
      ['running', now + 60_000],
      ['lost', now - 1],
    ] as const) {
      const claimed = `${family.name}-${action}-${name}-${now}`;
      await main.store.idempotency.claim({
        keyId: powerId,
        key: claimed,
        fingerprint: requestFingerprint(url(own), confirm !== '', undefined),
        requestId: `claim-${name}`,
        now: now - 2,
        expiresAt: now + 60_000,
        leaseUntil,
      });
      answers.push(await post(main, `${url(own)}${confirm}`, power, undefined, claimed));
    }

    const once = (await limited.createKey('cus_a')).key;
    await post(limited, url(own), once);
    answers.push(await post(limited, url(own), once));

    // 408: the body does not arrive within the request time-out.
    const timedOut = await rawRequest(
      slowPort,
      `POST ${url(own)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slowKey}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"fo',
    );
    answers.push({ status: timedOut.status, body: timedOut.body, headers: timedOut.headers });

    // 500: the audit record cannot be written; 503: the store is busy beyond its timeout.
    for (const [failing, key] of failingKeys) {
      await failing.powerOn(own);
      answers.push(await post(failing, `${url(own)}${confirm}`, key));
    }
    return answers;
  };

  /** Every way to get an answer from a read route, one per documented status and case. */
  const readAnswers = async (url: string): Promise<Answer[]> => {
    const family = FAMILY_CASES.find((f) => url.startsWith(f.base));
    if (family === undefined) throw new Error(`no family for ${url}`);
    const get = async (service: TestService, path: string, key: string | undefined) =>
      answer(
        await service.inject({
          method: 'GET',
          url: path,
          headers: key === undefined ? {} : bearer(key),
        }),
      );
    const started = await main.inject({
      method: 'POST',
      url: `${family.base}/${family.own}/start`,
      headers: bearer(power),
    });
    const actionId = String(started.headers.location).split('/').at(-1) ?? '';
    const at = (id: string, action = actionId) =>
      url.replace(/:(id|server_id)/, id).replace(':action_id', action);
    const own = at(family.own);
    const answers: Answer[] = [
      await get(main, own, read),
      await get(main, own, power),
      await get(main, own, undefined),
    ];
    if (url.endsWith('/actions') || url === family.base) {
      answers.push(await get(main, `${own}?limit=0`, read));
      answers.push(await get(main, `${own}?cursor=not-a-cursor`, read));
    }
    if (url !== family.base) answers.push(await get(main, at(family.foreign), read));
    if (url.endsWith(':action_id')) {
      answers.push(await get(main, at(family.own, 'act_00000000000000000000'), read));
    }
    if (url.endsWith('/status')) {
      answers.push(
        await get(main, at(family.name === 'vps' ? 'vps_unreadable' : 'srv_unreadable'), read),
      );
    }
    const once = (await limited.createKey('cus_a', { scope: 'read' })).key;
    await get(limited, own, once);
    answers.push(await get(limited, own, once));
    answers.push(await get(readBroken, own, readBrokenKey));
    answers.push(await get(readBusy, own, readBusyKey));
    return answers;
  };

  it('documents exactly the statuses each operation answers, with the bodies and headers it sends', async () => {
    for (const route of routes.filter((r) => !r.hidden)) {
      for (const method of route.methods.filter(isListed)) {
        const operation = operationOf(document, route.url, method);
        const label = `${method} ${route.url}`;
        const answers: Answer[] =
          route.power !== undefined && method === 'POST'
            ? await powerAnswers(route.power)
            : isReadRoute(route.url)
              ? await readAnswers(route.url)
              : [answer(await main.inject({ method, url: concrete(route.url) }))];
        if (route.url === '/readyz') {
          answers.push(answer(await closed.inject({ method, url: route.url })));
        }

        const responses = operation.responses ?? {};
        const documented = Object.keys(responses).sort();
        expect({ label, statuses: unique(answers.map((a) => String(a.status))) }).toEqual({
          label,
          statuses: documented,
        });
        for (const [status, value] of Object.entries(responses)) {
          const response = value as Response;
          const received = answers.filter((a) => String(a.status) === status);
          const examples = exampleBodies(response);
          if (status === '502') {
            // One example per reason; the simulator here gives some of them (every reason's
            // mapping is tested in provider-reasons.test.ts).
            expect(received.length, label).toBeGreaterThan(0);
            for (const a of received) expect(examples, label).toContain(a.body);
          } else if (examples.length > 0) {
            expect({ label, status, bodies: unique(received.map((a) => a.body)) }).toEqual({
              label,
              status,
              bodies: unique(examples),
            });
          }
          for (const [name, header] of Object.entries(response.headers ?? {})) {
            const schema = (header as OpenAPIV3_1.HeaderObject).schema as Record<string, unknown>;
            const allowed = schema.enum as unknown[] | undefined;
            if (schema['x-sent-on'] !== undefined) {
              // Sent on some answers of the status only (a replay): on one at least.
              const sent = received.filter((res) => res.headers[name.toLowerCase()] !== undefined);
              expect(sent.length, `${label} ${status} ${name}`).toBeGreaterThan(0);
              if (allowed !== undefined)
                for (const res of sent) expect(allowed).toContain(res.headers[name.toLowerCase()]);
              continue;
            }
            for (const res of received) {
              const sent = res.headers[name.toLowerCase()];
              expect(sent, `${label} ${status} ${name}`).toBeDefined();
              if (allowed !== undefined) expect(allowed).toContain(sent);
            }
          }
        }
      }
    }
  });
});

describe('request schemas document the contract without enforcing it', () => {
  let service: TestService;
  let key: string;

  beforeAll(async () => {
    service = await startWithCustomers();
    key = (await service.createKey('cus_a')).key;
  });
  afterAll(() => service.close());

  it.each([
    ['a repeated force parameter', '?force=true&force=true', undefined],
    ['force=yes', '?force=yes', undefined],
    ['a JSON string body', '', '"force"'],
    ['a JSON number body', '', '1'],
    ['{"force": ["true"]}', '', '{"force": ["true"]}'],
  ])(
    'answers %s with confirmation_required, not a validation error',
    async (_label, query, payload) => {
      const res = await service.inject({
        method: 'POST',
        url: `/v1/hosting/game/power/srv_123/kill${query}`,
        headers: {
          ...bearer(key),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload }),
      });
      expectError(res, 400, 'confirmation_required', 'Kill requires force=true');
    },
  );

  it('leaves a body it does not read alone', async () => {
    const res = await service.inject({
      method: 'POST',
      url: '/v1/hosting/game/power/srv_123/start',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      payload: '[1, "two", {"force": null}]',
    });
    expect(res.statusCode).toBe(200);
  });
});
