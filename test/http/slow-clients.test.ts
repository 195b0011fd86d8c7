import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { errorBody } from '../helpers/expect-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const TIMEOUT_BODY = errorBody('request_timeout', 'The request was not received in time');

/** A client connection that keeps everything the server sends, and knows when it is closed. */
interface Connection {
  readonly socket: Socket;
  received(): string;
  readonly closed: Promise<void>;
}

const open = (port: number, localAddress = '127.0.0.1'): Promise<Connection> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      resolve({ socket, received: () => Buffer.concat(chunks).toString('utf8'), closed });
    });
    socket.once('error', reject);
  });

/** Resolves when the connection closes, or rejects after `ms` (a bound, not a measurement). */
const closedWithin = (connection: Connection, ms: number): Promise<string> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    connection.closed.then(() => connection.received()),
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`still open after ${ms} ms; received: ${connection.received()}`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

const parse = (text: string) => {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
};

describe.each(BACKENDS)('on $name', (backend) => {
  /**
   * Clients that open connections and then send their requests slowly, or never finish them:
   * each is answered 408 after the request time-out and its connection closed, and one address
   * holds a bounded number of connections, so that such clients cannot starve everyone else.
   */
  describe('slow and unfinished requests', () => {
    const REQUEST_TIMEOUT_MS = 300;
    let service: TestService;
    let key: string;
    let keyId: string;
    let port: number;

    beforeAll(async () => {
      service = await startWithCustomers({
        backend,
        config: { requestTimeoutMs: REQUEST_TIMEOUT_MS, rateLimitPerMinute: 10_000 },
      });
      ({ key, id: keyId } = await service.createKey('cus_a'));
      const base = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
      port = Number(new URL(base).port);
    });
    afterAll(() => service.close());

    it('a connection that never completes its headers gets the JSON 408 and is closed', async () => {
      const connection = await open(port);
      connection.socket.write(`POST ${VPS}/vps_123/start HTTP/1.1\r\nHost: x\r\n`);
      const answer = parse(await closedWithin(connection, 10_000));
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers.connection).toBe('close');
      expect(answer.body).toBe(TIMEOUT_BODY);
    });

    it('a connection that sends nothing at all is closed with the 408', async () => {
      const connection = await open(port);
      expect(parse(await closedWithin(connection, 10_000)).body).toBe(TIMEOUT_BODY);
    });

    it('headers of an unknown route, then no body: the JSON 408', async () => {
      const connection = await open(port);
      connection.socket.write('POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
      const text = await closedWithin(connection, 10_000);
      // Whatever was answered first, the connection ends with the 408.
      expect(text.endsWith(TIMEOUT_BODY)).toBe(true);
    });

    it('a power request whose body never arrives: 408 through the power path, and its audit row says 408', async () => {
      const connection = await open(port);
      connection.socket.write(
        `POST ${VPS}/vps_123/reset HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
          'X-Request-Id: never-finished\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"for',
      );
      const answer = parse(await closedWithin(connection, 10_000));
      expect(answer.status).toBe(408);
      expect(answer.headers['x-request-id']).toBe('never-finished');
      expect(answer.headers.connection).toBe('close');
      expect(answer.headers['ratelimit-limit']).toBe('10000');
      expect(answer.body).toBe(TIMEOUT_BODY);
      await service.container.audit.flush();
      const rows = await service.store.audit.list({ limit: 100, keyId });
      expect(
        rows
          .filter((row) => row.requestId === 'never-finished')
          .map((row) => [row.status, row.error]),
      ).toEqual([[408, 'request_timeout']]);
    });

    it('a body dripped one byte at a time, each pause shorter than the time-out: still the 408', async () => {
      const connection = await open(port);
      connection.socket.write(
        `POST ${VPS}/vps_123/reset HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      const drip = setInterval(() => {
        if (connection.socket.writable) connection.socket.write(' ');
      }, REQUEST_TIMEOUT_MS / 6);
      try {
        const answer = parse(await closedWithin(connection, 10_000));
        expect(answer.status).toBe(408);
        expect(answer.body).toBe(TIMEOUT_BODY);
      } finally {
        clearInterval(drip);
      }
    });
  });

  describe('one address holding many connections', () => {
    const PER_CLIENT = 4;
    let service: TestService;
    let key: string;
    let port: number;

    beforeAll(async () => {
      service = await startWithCustomers({
        backend,
        // Long enough that the attacker's connections stay open for the whole test.
        config: { requestTimeoutMs: 60_000, maxConnectionsPerClient: PER_CLIENT },
      });
      key = (await service.createKey('cus_a')).key;
      const base = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
      port = Number(new URL(base).port);
    });
    afterAll(() => service.close());

    it('gets no more than the cap, while a request from another address is served', async () => {
      // The attacker: another loopback address, many connections, each with headers but no body.
      const attacker: Connection[] = [];
      for (let i = 0; i < 20; i++) {
        const connection = await open(port, '127.0.0.2');
        connection.socket.write('POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
        attacker.push(connection);
      }
      let closed = 0;
      for (const connection of attacker) void connection.closed.then(() => (closed += 1));
      // The connections over the cap are closed at once, before anything is read from them.
      await Promise.all(
        attacker
          .slice(PER_CLIENT)
          .map(async (connection) => expect(await closedWithin(connection, 10_000)).toBe('')),
      );

      const legitimate = await fetch(`http://127.0.0.1:${port}${VPS}/vps_123/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect(legitimate.status).toBe(200);
      // The attacker still holds exactly the cap.
      expect(closed).toBe(20 - PER_CLIENT);
      for (const connection of attacker) connection.socket.destroy();
      // Once they are gone, the address may connect again.
      await Promise.all(attacker.map((connection) => connection.closed));
      let status = 0;
      // The server counts a connection gone when it sees it close, a moment after the client.
      for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
        const again = await open(port, '127.0.0.2');
        again.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        status = parse(await closedWithin(again, 10_000)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(status).toBe(200);
    });
  });
});
