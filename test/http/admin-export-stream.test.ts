import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAppFor } from '../../src/server.js';
import type { AuditFilter, AuditRecord, LogPage, AuditQuery } from '../../src/store/store.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { bearer } from '../helpers/expect-http.js';
import { TestService } from '../helpers/test-service.js';

/** Polls `check` every 20 ms until it holds, at most `tries` times. */
const until = async (check: () => boolean, tries = 250): Promise<boolean> => {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
};

/**
 * An audit log of any size, made up as it is read: how far the export read it shows whether it
 * reads ahead of the client.
 */
class EndlessAudit {
  produced = 0;
  closed = false;
  failAfter: number | null = null;

  page(_query: AuditQuery): Promise<LogPage<AuditRecord>> {
    return Promise.resolve({ rows: [], nextCursor: null });
  }

  async *iterate(_filter: AuditFilter): AsyncGenerator<AuditRecord> {
    try {
      for (let n = 1; n <= 10_000_000; n++) {
        if (this.failAfter !== null && n > this.failAfter) throw new Error('the store went away');
        // One store page at a time, as the SQL store reads them.
        if (n % 1_000 === 1) await new Promise((resolve) => setImmediate(resolve));
        this.produced = n;
        yield { id: n, replayOf: null, ...auditEntry(n, { at: 20_000_000 - n }) };
      }
    } finally {
      this.closed = true;
    }
  }
}

describe('the admin export, on a socket', () => {
  let service: TestService;
  let token: string;

  beforeAll(async () => {
    service = await TestService.start();
    ({ token } = await service.createAdminToken('billing'));
  });
  afterAll(() => service.close());

  const listen = async (audit: EndlessAudit): Promise<{ app: FastifyInstance; url: string }> => {
    const app = adminAppFor(service.container, {
      logs: { audit, operatorLog: service.store.operatorLog },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, url };
  };

  const open = (url: string) =>
    new Promise<{ res: IncomingMessage; abort: () => void }>((resolve, reject) => {
      const req = httpRequest(`${url}/admin/v1/audit/export?format=jsonl`, {
        headers: bearer(token),
      });
      req.on('response', (res) => resolve({ res, abort: () => req.destroy() }));
      req.on('error', reject);
      req.end();
    });

  it('reads the store only as fast as the client reads the answer, and stops when it leaves', async () => {
    const audit = new EndlessAudit();
    const { app, url } = await listen(audit);
    try {
      const { res, abort } = await open(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      res.pause();
      // The client reads nothing: the export stops once the socket's buffers are full.
      let seen = -1;
      let still = 0;
      await until(() => {
        still = audit.produced === seen ? still + 1 : 0;
        seen = audit.produced;
        return still >= 10;
      });
      expect(still).toBeGreaterThanOrEqual(10);
      // Buffers hold some thousands of ~350-byte lines, nowhere near the ten million on offer.
      expect(audit.produced).toBeLessThan(200_000);
      expect(audit.closed).toBe(false);
      // Reading on lets it go on.
      const before = audit.produced;
      res.resume();
      expect(await until(() => audit.produced > before + 10_000)).toBe(true);
      // A client that leaves ends the reading of the store.
      abort();
      expect(await until(() => audit.closed)).toBe(true);
      const stopped = audit.produced;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(audit.produced).toBe(stopped);
    } finally {
      await app.close();
    }
  });

  it('cuts the answer off when the store fails part way, so that it never looks complete', async () => {
    const audit = new EndlessAudit();
    audit.failAfter = 2_500;
    const { app, url } = await listen(audit);
    try {
      const { res } = await open(url);
      expect(res.statusCode).toBe(200);
      const outcome = await new Promise<{ complete: boolean; lines: number }>((resolve) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        const done = (complete: boolean) =>
          resolve({ complete, lines: text.split('\n').length - 1 });
        res.on('end', () => done(res.complete));
        res.on('error', () => done(false));
        res.on('close', () => done(res.complete));
      });
      expect(outcome.complete).toBe(false);
      // What went out before the failure is at most the records read before it.
      expect(outcome.lines).toBeLessThanOrEqual(2_500);
      expect(audit.closed).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('answers a store that fails before the first record with the error, not a 200', async () => {
    const audit = new EndlessAudit();
    audit.failAfter = 0;
    const app = adminAppFor(service.container, {
      logs: { audit, operatorLog: service.store.operatorLog },
    });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/admin/v1/audit/export?format=csv',
        headers: bearer(token),
      });
      expect({ status: res.statusCode, body: res.body }).toEqual({
        status: 500,
        body: '{"success":false,"error":"internal_error","message":"Internal server error"}',
      });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-disposition']).toBeUndefined();
      expect(audit.closed).toBe(true);
    } finally {
      await app.close();
    }
  });
});
