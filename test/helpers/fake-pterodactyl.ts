import {
  type FakeAnswer,
  type FakeReply,
  FakeProvider,
  type RecordedRequest,
} from './fake-upstream.js';
import type { TestTls } from './tls.js';

/**
 * A Pterodactyl (or Pelican) panel's client API as `shared/providers.md` describes it: Bearer
 * client keys, `{"errors":[{code,status,detail}]}` bodies pretty-printed, 204 on a power signal,
 * 404 for servers the key's account cannot see, 409 for blocked states, 422 for a bad signal, 403
 * for application keys, and redirects instead of JSON errors when `Accept` lacks JSON.
 *
 * `GET …/resources` reports `current_state` as Wings moves it after a signal: a start goes
 * `starting → running`, a stop `stopping → offline`, a restart of a running server
 * `stopping → offline → starting → running`, a kill `offline` at once. Each state lasts
 * `readsPerStep` reads of the resources (default 1), or, with `stepMs`, that long. With
 * `limitPerMinute`, the panel's throttle answers 429 with `Retry-After` once an account has used
 * up its requests of the minute.
 */
export type ServerState = 'offline' | 'starting' | 'running' | 'stopping';
export type ServerStatus =
  null | 'installing' | 'install_failed' | 'suspended' | 'restoring_backup';

export interface FakeServer {
  readonly identifier: string;
  readonly uuid: string;
  /** Username of the owner. */
  readonly owner: string;
  state: ServerState;
  /** States still to come after a signal, one per step. */
  later: ServerState[];
  status: ServerStatus;
  transferring: boolean;
}

export interface FakePterodactylOptions {
  /** Reads of `/resources` that show each state of a transition before the next (default 1). */
  readonly readsPerStep?: number;
  /** Instead of counting reads, each state of a transition lasts this long (ms). */
  readonly stepMs?: number;
  /** Requests each account may make per minute (the panel's `api.client` limiter); unlimited when unset. */
  readonly limitPerMinute?: number;
}

interface Transition {
  /** When the current state was entered, and the reads of it since. */
  since: number;
  reads: number;
}

interface Window {
  readonly startedAt: number;
  used: number;
}

export interface FakeAccount {
  readonly username: string;
  readonly admin: boolean;
}

const SIGNALS = ['start', 'stop', 'restart', 'kill'];

const STATE_CONFLICT: Readonly<Record<string, string>> = {
  suspended: 'This server is currently suspended and the functionality requested is unavailable.',
  installing: 'This server has not yet completed its installation process, please try again later.',
  install_failed:
    'This server has not yet completed its installation process, please try again later.',
  restoring_backup: 'This server is currently restoring from a backup, please try again later.',
};

export class FakePterodactyl extends FakeProvider {
  readonly servers: FakeServer[] = [];
  /** Client keys (48 characters) and the account each belongs to. */
  readonly keys = new Map<string, FakeAccount>();
  /** Application keys: refused on the client API. */
  readonly applicationKeys = new Set<string>();
  readonly #options: FakePterodactylOptions;
  readonly #transitions = new Map<FakeServer, Transition>();
  readonly #windows = new Map<string, Window>();

  constructor(options: FakePterodactylOptions = {}) {
    super();
    this.#options = options;
  }

  static async start(
    tls: Pick<TestTls['server'], 'key' | 'cert'>,
    options: FakePterodactylOptions = {},
  ): Promise<FakePterodactyl> {
    const fake = new FakePterodactyl(options);
    await fake.listen(tls);
    return fake;
  }

  protected isPowerPost(request: RecordedRequest): boolean {
    return request.method === 'POST' && request.url.endsWith('/power');
  }

  addServer(uuid: string, owner: string, state: ServerState = 'offline'): FakeServer {
    const server: FakeServer = {
      identifier: uuid.slice(0, 8),
      uuid,
      owner,
      state,
      later: [],
      status: null,
      transferring: false,
    };
    this.servers.push(server);
    return server;
  }

  addKey(key: string, account: FakeAccount): string {
    this.keys.set(key, account);
    return key;
  }

  answer(request: RecordedRequest): FakeAnswer {
    const injected = this.intercept?.(request);
    if (injected !== undefined) return injected;
    const wantsJson = /\/json|\+json/i.test(String(request.headers.accept ?? ''));
    const url = new URL(request.url, 'https://fake');
    if (!url.pathname.startsWith('/api/client')) return this.#html(404);
    const auth = String(request.headers.authorization ?? '');
    const bearer = /^Bearer (\S+)$/i.exec(auth)?.[1];
    if (bearer !== undefined && this.applicationKeys.has(bearer)) {
      return this.#error(
        wantsJson,
        403,
        'AccessDeniedHttpException',
        'You are attempting to use an application API key on an endpoint that requires a client API key.',
      );
    }
    const account = bearer === undefined ? undefined : this.keys.get(bearer);
    if (account === undefined) {
      // Laravel sends guests to the login page unless the client asked for JSON.
      if (!wantsJson) return { status: 302, headers: { location: `${this.url}/auth/login` } };
      return this.#error(true, 401, 'AuthenticationException', 'Unauthenticated.');
    }
    // The throttle runs after authentication, per account.
    const throttled = this.#throttle(account);
    if (throttled !== undefined) return throttled;
    if (request.method === 'GET' && url.pathname === '/api/client/account') {
      return this.#json(200, {
        object: 'user',
        attributes: {
          id: 1,
          admin: account.admin,
          username: account.username,
          email: `${account.username}@example.net`,
          language: 'en',
        },
      });
    }
    if (
      request.method === 'GET' &&
      (url.pathname === '/api/client' || url.pathname === '/api/client/')
    ) {
      const visible = this.servers.filter((s) => account.admin || s.owner === account.username);
      return this.#json(200, {
        object: 'list',
        data: visible.map((s) => ({
          object: 'server',
          attributes: { identifier: s.identifier, uuid: s.uuid },
        })),
      });
    }
    const resources = /^\/api\/client\/servers\/([^/]+)\/resources$/.exec(url.pathname);
    if (resources?.[1] !== undefined && request.method === 'GET')
      return this.#resources(wantsJson, account, resources[1]);
    const power = /^\/api\/client\/servers\/([^/]+)\/power$/.exec(url.pathname);
    if (power?.[1] !== undefined) {
      if (request.method !== 'POST')
        return this.#error(
          wantsJson,
          405,
          'MethodNotAllowedHttpException',
          `The ${request.method} method is not supported for route api/client/servers/${power[1]}/power. Supported methods: POST.`,
        );
      return this.#power(request, wantsJson, account, power[1]);
    }
    return this.#error(
      wantsJson,
      404,
      'NotFoundHttpException',
      'The requested resource could not be found on the server.',
    );
  }

  #power(
    request: RecordedRequest,
    wantsJson: boolean,
    account: FakeAccount,
    id: string,
  ): FakeAnswer {
    const server = this.#visibleServer(wantsJson, account, id);
    if (!('uuid' in server)) return server;
    const conflict =
      server.status === null
        ? server.transferring
          ? 'This server is currently being transferred to a new machine, please try again later.'
          : undefined
        : STATE_CONFLICT[server.status];
    if (conflict !== undefined)
      return this.#error(wantsJson, 409, 'ServerStateConflictException', conflict);
    let input: Record<string, unknown> = {};
    const type = String(request.headers['content-type'] ?? '');
    if (type.includes('json')) {
      try {
        const parsed = JSON.parse(request.body === '' ? '{}' : request.body) as unknown;
        input =
          typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
      } catch (error) {
        return this.#error(
          wantsJson,
          400,
          'BadRequestHttpException',
          `The JSON data passed in the request appears to be malformed: ${(error as Error).message}`,
        );
      }
    } else {
      input = Object.fromEntries(new URLSearchParams(request.body));
    }
    const raw = input.signal;
    const signal = typeof raw === 'string' ? raw.trim() : raw;
    if (signal === undefined || signal === '' || signal === null) {
      if (!wantsJson) return { status: 302, headers: { location: this.url } };
      return this.#validation('The signal field is required.', 'required');
    }
    if (typeof signal !== 'string' || !SIGNALS.includes(signal)) {
      if (!wantsJson) return { status: 302, headers: { location: this.url } };
      return this.#validation('The selected signal is invalid.', 'in');
    }
    // Wings runs the action in the background; starting a running server is silently ignored.
    if (signal === 'start' && server.state === 'offline')
      this.#move(server, 'starting', ['running']);
    if (signal === 'restart') {
      if (server.state === 'offline') this.#move(server, 'starting', ['running']);
      else this.#move(server, 'stopping', ['offline', 'starting', 'running']);
    }
    if (signal === 'stop' && server.state !== 'offline')
      this.#move(server, 'stopping', ['offline']);
    if (signal === 'kill') this.#move(server, 'offline', []);
    return { status: 204 };
  }

  /** The server the identifier names, if the account may see it; else the panel's 404. */
  #visibleServer(wantsJson: boolean, account: FakeAccount, id: string): FakeServer | FakeReply {
    const server = this.servers.find((s) =>
      id.length === 8 ? s.identifier === id : s.uuid === id,
    );
    if (server === undefined)
      return this.#error(
        wantsJson,
        404,
        'NotFoundHttpException',
        'The requested resource could not be found on the server.',
      );
    if (!account.admin && server.owner !== account.username) {
      return this.#error(
        wantsJson,
        404,
        'NotFoundHttpException',
        'The requested resource does not exist on this server.',
      );
    }
    return server;
  }

  #move(server: FakeServer, now: ServerState, later: ServerState[]): void {
    server.state = now;
    server.later = later;
    this.#transitions.set(server, { since: Date.now(), reads: 0 });
  }

  /** Moves the server on by the time passed (with `stepMs`). */
  #advanceByTime(server: FakeServer): void {
    const step = this.#options.stepMs;
    const transition = this.#transitions.get(server);
    if (step === undefined || transition === undefined) return;
    while (server.later.length > 0 && Date.now() - transition.since >= step) {
      server.state = server.later.shift() ?? server.state;
      transition.since += step;
    }
  }

  /** Counts one read of the current state; after `readsPerStep` of them, the next state. */
  #advanceByRead(server: FakeServer): void {
    const transition = this.#transitions.get(server);
    if (this.#options.stepMs !== undefined || transition === undefined) return;
    transition.reads++;
    if (server.later.length > 0 && transition.reads >= (this.#options.readsPerStep ?? 1)) {
      server.state = server.later.shift() ?? server.state;
      transition.reads = 0;
    }
  }

  /** `GET …/resources`: not while suspended; readable while installing or transferring. */
  #resources(wantsJson: boolean, account: FakeAccount, id: string): FakeAnswer {
    const server = this.#visibleServer(wantsJson, account, id);
    if (!('uuid' in server)) return server;
    if (server.status === 'suspended') {
      return this.#error(
        wantsJson,
        409,
        'ServerStateConflictException',
        STATE_CONFLICT.suspended ?? '',
      );
    }
    this.#advanceByTime(server);
    const up = server.state !== 'offline';
    const reply = this.#json(200, {
      object: 'stats',
      attributes: {
        current_state: server.state,
        is_suspended: false,
        resources: {
          memory_bytes: up ? 536_870_912 : 0,
          cpu_absolute: up ? 12 : 0,
          disk_bytes: 1_073_741_824,
          network_rx_bytes: up ? 1_024 : 0,
          network_tx_bytes: up ? 2_048 : 0,
          uptime: server.state === 'running' ? 60_000 : 0,
        },
      },
    });
    this.#advanceByRead(server);
    return reply;
  }

  /** Laravel's ThrottleRequests: a window of a minute per account, 429 once it is used up. */
  #throttle(account: FakeAccount): FakeReply | undefined {
    const limit = this.#options.limitPerMinute;
    if (limit === undefined) return undefined;
    const now = Date.now();
    let window = this.#windows.get(account.username);
    if (window === undefined || now - window.startedAt >= 60_000) {
      window = { startedAt: now, used: 0 };
      this.#windows.set(account.username, window);
    }
    window.used++;
    if (window.used <= limit) return undefined;
    // Laravel: Retry-After is the seconds until the window ends, X-RateLimit-Reset that moment.
    const retryAfter = Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1_000));
    const resetAt = Math.floor(now / 1_000) + retryAfter;
    const reply = this.#json(
      429,
      {
        errors: [
          { code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' },
        ],
      },
      true,
    );
    return {
      ...reply,
      headers: {
        ...reply.headers,
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': '0',
        'retry-after': String(retryAfter),
        'x-ratelimit-reset': String(resetAt),
      },
    };
  }

  #validation(detail: string, rule: string): FakeReply {
    return this.#json(
      422,
      {
        errors: [
          {
            code: 'ValidationException',
            status: '422',
            detail,
            meta: { source_field: 'signal', rule },
          },
        ],
      },
      true,
    );
  }

  #error(wantsJson: boolean, status: number, code: string, detail: string): FakeReply {
    if (!wantsJson) return this.#html(status);
    return this.#json(status, { errors: [{ code, status: String(status), detail }] }, true);
  }

  /** Laravel renders error JSON pretty-printed (4 spaces, slashes unescaped). */
  #json(status: number, body: unknown, pretty = false): FakeReply {
    return {
      status,
      headers: {
        'content-type': 'application/json',
        'x-ratelimit-limit': '720',
        'x-ratelimit-remaining': '719',
      },
      body: pretty ? JSON.stringify(body, null, 4) : JSON.stringify(body),
    };
  }

  #html(status: number): FakeReply {
    return {
      status,
      headers: { 'content-type': 'text/html; charset=UTF-8' },
      body: `<!DOCTYPE html><html><body><h1>${status}</h1></body></html>`,
    };
  }
}
