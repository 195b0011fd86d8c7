import { createServer, type Server } from 'node:https';
import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the fake received it, for exact assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, exactly as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface FakeReply {
  readonly status: number;
  /** The reason phrase; Node's default for the status when absent. */
  readonly reason?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
  /** Wait this long before answering (Proxmox delays its 401s). */
  readonly delayMs?: number;
}

/** `hang`: never answer; `reset`: drop the connection without an answer. */
export type FakeAnswer = FakeReply | 'hang' | 'reset';

export interface UpstreamOptions {
  readonly key: string;
  readonly cert: string;
}

/**
 * An HTTPS server on 127.0.0.1 and an ephemeral port that records every request and answers it
 * with `answer(request)`. `close()` drops every connection, including hanging ones.
 */
export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  /** Most requests that were waiting for their answer at one time. */
  peakInFlight = 0;
  /** URLs requested while an earlier request for the same URL still waited for its answer. */
  readonly overlapping: string[] = [];
  readonly #waiting = new Map<string, number>();
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(
    tls: UpstreamOptions,
    answer: (request: RecordedRequest) => FakeAnswer,
  ): Promise<FakeUpstream> {
    const server = createServer({ key: tls.key, cert: tls.cert });
    const fake = new FakeUpstream(server);
    const own = fake;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      own.handle(req, res, answer);
    });
    server.on('secureConnection', (socket: Socket) => {
      own.#sockets.add(socket);
      socket.on('close', () => own.#sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Requests with this method whose path starts with `prefix`. */
  matching(method: string, prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.startsWith(prefix));
  }

  clear(): void {
    this.requests.length = 0;
    this.overlapping.length = 0;
    this.peakInFlight = 0;
  }

  /** Counts a request as waiting until its answer is sent or its connection goes. */
  #track(url: string, res: ServerResponse): void {
    const waiting = this.#waiting.get(url) ?? 0;
    if (waiting > 0) this.overlapping.push(url);
    this.#waiting.set(url, waiting + 1);
    let inFlight = 0;
    for (const count of this.#waiting.values()) inFlight += count;
    this.peakInFlight = Math.max(this.peakInFlight, inFlight);
    res.once('close', () => {
      const left = (this.#waiting.get(url) ?? 1) - 1;
      if (left <= 0) this.#waiting.delete(url);
      else this.#waiting.set(url, left);
    });
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    for (const socket of this.#sockets) socket.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  handle(
    req: IncomingMessage,
    res: ServerResponse,
    answer: (request: RecordedRequest) => FakeAnswer,
  ): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(recorded);
      this.#track(recorded.url, res);
      const reply = answer(recorded);
      if (reply === 'hang') return;
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        const body = reply.body ?? '';
        res.writeHead(reply.status, reply.reason ?? STATUS_CODES[reply.status] ?? '', {
          'content-length': Buffer.byteLength(body),
          ...reply.headers,
        });
        res.end(body);
      };
      if (reply.delayMs === undefined || reply.delayMs <= 0) {
        send();
        return;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        send();
      }, reply.delayMs);
      this.#timers.add(timer);
    });
  }
}

/**
 * What the provider fakes share: an HTTPS upstream that records every request and hands it to
 * the fake's `answer`, an `intercept` to inject failures, and the list of power POSTs received.
 */
export abstract class FakeProvider {
  /** Answers a request before the fake does, to inject failures; `undefined` lets it through. */
  intercept: ((request: RecordedRequest) => FakeAnswer | undefined) | undefined;
  #upstream: FakeUpstream | undefined;

  /** The fake's answer, as the real system would give it. */
  abstract answer(request: RecordedRequest): FakeAnswer;

  /** Whether a request is one of the system's power POSTs. */
  protected abstract isPowerPost(request: RecordedRequest): boolean;

  protected async listen(tls: UpstreamOptions): Promise<void> {
    this.#upstream = await FakeUpstream.start(tls, (request) => this.answer(request));
  }

  get upstream(): FakeUpstream {
    if (this.#upstream === undefined) throw new Error('fake not started');
    return this.#upstream;
  }

  get url(): string {
    return this.upstream.url;
  }

  get requests(): RecordedRequest[] {
    return this.upstream.requests;
  }

  /** Every power POST received, as `METHOD path body`. */
  powerPosts(): string[] {
    return this.requests
      .filter((r) => this.isPowerPost(r))
      .map((r) => `${r.method} ${r.url} ${r.body}`);
  }

  async close(): Promise<void> {
    await this.#upstream?.close();
  }
}
