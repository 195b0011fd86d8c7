import { readEnvironment } from './env.js';
import { type ErrorCode, HeoApiError } from './errors.js';
import type { components, operations } from './generated/openapi.js';

/** The body of a VPS action's 200, as the API documents it. */
export type VpsPowerResult = components['schemas']['VpsPowerResult'];
/** The body of a game server action's 200, as the API documents it. */
export type GameServerPowerResult = components['schemas']['GameServerPowerResult'];

export interface HeoClientOptions {
  /** Where the API is, e.g. `https://power.example.net`; default `HEO_API_URL`. */
  readonly baseUrl?: string;
  /** An API key (`heo_…`); default `HEO_API_KEY`. */
  readonly apiKey?: string;
  /** The `fetch` to use; default the global one. */
  readonly fetch?: typeof globalThis.fetch;
  /** Longest a call may take, answer included; default 30 000 ms. */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  /** Sent as `X-Request-Id`: the id of the call in heo-power's logs and audit records. */
  readonly requestId?: string;
  readonly signal?: AbortSignal;
  /**
   * Sent as `Idempotency-Key` (a quoted string): a retry with the same key gets the first
   * call's answer and never acts twice. 1 to 255 printable ASCII characters.
   */
  readonly idempotencyKey?: string;
  /**
   * How many times to try again after a network failure, a 503, or a 409 `idempotency_key_in_use`
   * (after its `Retry-After`); default 0. With retries and no `idempotencyKey`, the call makes
   * one key of its own (a random UUID) and sends it with every try, so a retry can never start
   * the action twice.
   */
  readonly retries?: number;
}

export interface ConfirmedCallOptions extends CallOptions {
  /** `true` confirms the action (`force=true`); without it the API answers 400 `confirmation_required`. */
  readonly force?: boolean;
}

export interface HeoClient {
  readonly vps: {
    start(id: string, options?: CallOptions): Promise<VpsPowerResult>;
    stop(id: string, options?: CallOptions): Promise<VpsPowerResult>;
    reset(id: string, options?: ConfirmedCallOptions): Promise<VpsPowerResult>;
  };
  readonly gameServers: {
    start(id: string, options?: CallOptions): Promise<GameServerPowerResult>;
    stop(id: string, options?: CallOptions): Promise<GameServerPowerResult>;
    restart(id: string, options?: CallOptions): Promise<GameServerPowerResult>;
    kill(id: string, options?: ConfirmedCallOptions): Promise<GameServerPowerResult>;
  };
}

type PowerOperation =
  | 'startVps'
  | 'stopVps'
  | 'resetVps'
  | 'startGameServer'
  | 'stopGameServer'
  | 'restartGameServer'
  | 'killGameServer';

/** The 200 body of a power operation of the document. */
type Result<Id extends PowerOperation> =
  operations[Id]['responses'][200]['content']['application/json'];

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';

const numberOrUndefined = (text: string | null): number | undefined => {
  if (text === null || !/^[0-9]+$/.test(text.trim())) return undefined;
  return Number(text.trim());
};

const isEnvelope = (value: unknown): value is { error: ErrorCode; message: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { error?: unknown }).error === 'string' &&
  typeof (value as { message?: unknown }).message === 'string';

/** A Structured Field string (RFC 8941): quotes and backslashes escaped. */
const quoted = (key: string): string => `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** What a retry with the same `Idempotency-Key` may help with: never a refusal of the request. */
const retryable = (error: unknown): boolean => {
  if (!(error instanceof HeoApiError)) return error instanceof TypeError; // fetch: network failure
  return error.status === 503 || error.code === 'idempotency_key_in_use';
};

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * A client of heo-power's power endpoints. Every call is one `POST` with the key as a Bearer
 * token; a 200 resolves to its body, anything else rejects with a `HeoApiError`.
 */
export const createHeoClient = (options: HeoClientOptions = {}): HeoClient => {
  const env = readEnvironment();
  const baseUrl = (options.baseUrl ?? env.apiUrl)?.replace(/\/+$/, '');
  const apiKey = options.apiKey ?? env.apiKey;
  if (baseUrl === undefined || baseUrl === '') {
    throw new TypeError('heo-power client: no base URL (pass baseUrl or set HEO_API_URL)');
  }
  if (apiKey === undefined || apiKey === '') {
    throw new TypeError('heo-power client: no API key (pass apiKey or set HEO_API_KEY)');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  const call = async <T>(path: string, call: ConfirmedCallOptions = {}): Promise<T> => {
    const retries = Math.max(0, Math.floor(call.retries ?? 0));
    const key = call.idempotencyKey ?? (retries > 0 ? globalThis.crypto.randomUUID() : undefined);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await once<T>(path, call, key);
      } catch (error) {
        if (attempt >= retries || call.signal?.aborted === true || !retryable(error)) throw error;
        const wait = error instanceof HeoApiError ? (error.retryAfter ?? 1) : 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 30) * 1_000));
      }
    }
  };

  const once = async <T>(path: string, call: ConfirmedCallOptions, key?: string): Promise<T> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
    };
    if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
    if (key !== undefined) headers['idempotency-key'] = quoted(key);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
    const url = `${baseUrl}${path}${call.force === true ? '?force=true' : ''}`;
    const res = await fetchImpl(url, { method: 'POST', headers, signal });
    const text = await res.text();
    const body = parse(text);
    if (res.status === 200 && body !== undefined) return body as T;
    const requestId = res.headers.get('x-request-id') ?? undefined;
    const retryAfter = numberOrUndefined(res.headers.get('retry-after'));
    if (isEnvelope(body)) {
      throw new HeoApiError({
        status: res.status,
        code: body.error,
        message: body.message,
        requestId,
        retryAfter,
      });
    }
    throw new HeoApiError({
      status: res.status,
      code: 'invalid_response',
      message: `heo-power answered ${res.status} without its JSON envelope`,
      requestId,
      retryAfter,
    });
  };
  const at = (base: string, id: string, action: string): string =>
    `${base}/${encodeURIComponent(id)}/${action}`;

  return {
    vps: {
      start: (id, o) => call<Result<'startVps'>>(at(VPS, id, 'start'), o),
      stop: (id, o) => call<Result<'stopVps'>>(at(VPS, id, 'stop'), o),
      reset: (id, o) => call<Result<'resetVps'>>(at(VPS, id, 'reset'), o),
    },
    gameServers: {
      start: (id, o) => call<Result<'startGameServer'>>(at(GAME, id, 'start'), o),
      stop: (id, o) => call<Result<'stopGameServer'>>(at(GAME, id, 'stop'), o),
      restart: (id, o) => call<Result<'restartGameServer'>>(at(GAME, id, 'restart'), o),
      kill: (id, o) => call<Result<'killGameServer'>>(at(GAME, id, 'kill'), o),
    },
  };
};
