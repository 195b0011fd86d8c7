import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

interface Operation {
  readonly operationId?: string;
  readonly security?: unknown;
  readonly responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, unknown> }
  >;
}

interface Document {
  readonly openapi: string;
  readonly servers: unknown;
  readonly paths: Record<string, Record<string, Operation>>;
}

describe('the admin OpenAPI document', () => {
  let service: TestService;
  let document: Document;

  beforeAll(async () => {
    service = await startWithCustomers();
    const res = await service.adminInject({ method: 'GET', url: '/admin/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    document = JSON.parse(res.body) as Document;
  });
  afterAll(() => service.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as unknown as OpenAPIV3_1.Document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('covers every admin route, each but itself behind the admin token', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const machines = (base: string) => [
      `POST ${base}`,
      `GET ${base}`,
      `GET ${base}/{id}`,
      `PATCH ${base}/{id}`,
      `DELETE ${base}/{id}`,
    ];
    expect(operations.sort()).toEqual(
      [
        'POST /admin/v1/keys',
        'GET /admin/v1/keys',
        'GET /admin/v1/keys/{id}',
        'POST /admin/v1/keys/{id}/revoke',
        'POST /admin/v1/keys/{id}/rotate',
        ...machines('/admin/v1/vps'),
        ...machines('/admin/v1/game-servers'),
        'POST /admin/v1/providers',
        'GET /admin/v1/providers',
        'GET /admin/v1/providers/{name}',
        'PATCH /admin/v1/providers/{name}',
        'DELETE /admin/v1/providers/{name}',
        'POST /admin/v1/providers/{name}/test',
        'GET /admin/v1/audit',
        'GET /admin/v1/audit/export',
        'GET /admin/v1/operator-log',
        'GET /admin/v1/operator-log/export',
        'POST /admin/v1/webhooks',
        'GET /admin/v1/webhooks',
        'GET /admin/v1/webhooks/{id}',
        'DELETE /admin/v1/webhooks/{id}',
        'POST /admin/v1/webhooks/{id}/rotate-secret',
        'POST /admin/v1/webhooks/{id}/enable',
        'POST /admin/v1/webhooks/{id}/test',
        'GET /admin/v1/webhooks/{id}/deliveries',
        'POST /admin/v1/webhook-deliveries/{id}/redeliver',
        'GET /admin/v1/openapi.json',
      ].sort(),
    );
    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        expect(operation.security).toEqual(
          path === '/admin/v1/openapi.json' ? [] : [{ adminToken: [] }],
        );
        // Every operation behind the token can be refused by the budget of failures.
        if (path !== '/admin/v1/openapi.json') {
          expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '429']));
          expect(Object.keys(operation.responses['429']?.headers ?? {})).toEqual(['retry-after']);
        }
      }
    }
  });

  it('names the listener it is served from, and the media types of the exports', () => {
    expect(document.servers).toEqual([
      { url: '/', description: 'The admin listener (`HEO_ADMIN_HOST`:`HEO_ADMIN_PORT`).' },
    ]);
    for (const path of ['/admin/v1/audit/export', '/admin/v1/operator-log/export']) {
      expect(Object.keys(document.paths[path]?.get?.responses['200']?.content ?? {})).toEqual([
        'application/x-ndjson',
        'text/csv',
      ]);
    }
  });
});
