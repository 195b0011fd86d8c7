import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import {
  classifyTransportError,
  type Endpoint,
  type TransportFailure,
} from './transport-failure.js';

export interface HttpSettings {
  /** `https://host:port` plus an optional base path, without a trailing slash. */
  readonly url: string;
  /** PEM of the CA certificate(s) to trust instead of the system's. */
  readonly caPem?: string | undefined;
  /** Turns certificate verification off, for this provider only. */
  readonly insecureTls: boolean;
  /** Limit for connecting, for the response headers, and for each gap in the body. */
  readonly timeoutMs: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, starting with `/`, query included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpReply {
  readonly status: number;
  /** The reason phrase: Proxmox puts its error message there. */
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export type HttpResult =
  { readonly ok: true; readonly reply: HttpReply } | ({ readonly ok: false } & TransportFailure);

/** Large enough for the guest list of a big cluster, small enough to bound memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const RETRY_DELAY_MS = 200;

/**
 * One provider's connection pool: keep-alive connections to one origin, its own TLS settings and
 * explicit timeouts. No global dispatcher is touched. A request is sent at most once, except when
 * the connection was refused before anything was sent: that is retried once.
 */
export class ProviderHttp {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #endpoint: Endpoint;

  constructor(settings: HttpSettings) {
    const url = new URL(settings.url);
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#endpoint = {
      host: url.hostname,
      port: url.port === '' ? '443' : url.port,
      timeoutMs: settings.timeoutMs,
    };
    this.#pool = new Pool(url.origin, {
      connections: 16,
      keepAliveTimeout: 4_000,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
      connect: {
        timeout: settings.timeoutMs,
        rejectUnauthorized: !settings.insecureTls,
        ...(settings.caPem === undefined ? {} : { ca: settings.caPem }),
      },
    });
  }

  get endpoint(): Endpoint {
    return this.#endpoint;
  }

  async request(request: HttpRequest): Promise<HttpResult> {
    const first = await this.#once(request);
    if (first.ok || !first.nothingSent) return first;
    await sleep(RETRY_DELAY_MS);
    return this.#once(request);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #once(request: HttpRequest): Promise<HttpResult> {
    const options: Dispatcher.RequestOptions = {
      method: request.method,
      path: `${this.#basePath}${request.path}`,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    };
    try {
      const response = await this.#pool.request(options);
      const body = await response.body.text();
      return {
        ok: true,
        reply: {
          status: response.statusCode,
          statusText: response.statusText,
          headers: response.headers,
          body,
        },
      };
    } catch (error) {
      return { ok: false, ...classifyTransportError(error, this.#endpoint) };
    }
  }
}
