import { readEnvironment } from './env.js';
import { type ErrorCode, HeoApiError, HeoWaitTimeoutError, isHeoApiError } from './errors.js';
import type { components, operations } from './generated/openapi.js';

type Schemas = components['schemas'];

/** The body of a VPS action's 200, as the API documents it. */
export type VpsPowerResult = Schemas['VpsPowerResult'];
/** The body of a game server action's 200, as the API documents it. */
export type GameServerPowerResult = Schemas['GameServerPowerResult'];
/** One action of a VPS, as `GET …/actions/{action_id}` answers it. */
export type VpsAction = Schemas['VpsAction'];
/** One action of a game server, as `GET …/actions/{action_id}` answers it. */
export type GameServerAction = Schemas['GameServerAction'];
export type VpsActionList = Schemas['VpsActionList'];
export type GameServerActionList = Schemas['GameServerActionList'];
export type VpsStatus = Schemas['VpsStatus'];
export type GameServerStatus = Schemas['GameServerStatus'];
export type VpsList = Schemas['VpsList'];
export type GameServerList = Schemas['GameServerList'];
/** `requested`, `in_progress`, and the final ones: `succeeded`, `failed`, `timed_out`. */
export type ActionStatus = VpsAction['status'];

/** The statuses an action ends in: `waitFor` resolves once it reads one of them. */
export const FINAL_ACTION_STATUSES: readonly ActionStatus[] = ['succeeded', 'failed', 'timed_out'];

/** `vps` (`/v1/hosting/cloud/vps-custom`) or `game` (`/v1/hosting/game/power`). */
export type Family = 'vps' | 'game';

interface ActionOf {
  readonly vps: VpsAction;
  readonly game: GameServerAction;
}

/** Where to read an accepted action again: what the `Location` of its 200 names. */
export interface ActionHandle<F extends Family = Family> {
  readonly family: F;
  /** The `vps_id` or `server_id`. */
  readonly machineId: string;
  /** `act_…`. */
  readonly actionId: string;
}

/**
 * A power action's 200: the published body, and its `handle` (from `Location`; `undefined` if
 * the server sent none). `handle` is not enumerable, so the object serialises to the body as sent.
 */
export type Accepted<Body, F extends Family> = Body & {
  readonly handle: ActionHandle<F> | undefined;
};

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

export interface PageOptions extends CallOptions {
  /** Page size, 1 to 100 (the API's default: 20). */
  readonly limit?: number;
  /** The `next_cursor` of the page before; none (or `null`) for the first page. */
  readonly cursor?: string | null;
}

export interface WaitOptions {
  /** Longest to wait for the action to end; then `waitFor` rejects with `HeoWaitTimeoutError`. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Sent as `X-Request-Id` with every poll. */
  readonly requestId?: string;
  /** The pause after the first poll; it doubles after each poll up to `maxIntervalMs`. Default 500. */
  readonly intervalMs?: number;
  /** The longest pause between two polls (a 429's or 503's `Retry-After` may be longer). Default 5 000. */
  readonly maxIntervalMs?: number;
}

/** What `waitFor` takes: a handle, or the result of a power method. */
export type ActionRef<F extends Family> =
  ActionHandle<F> | { readonly handle: ActionHandle<F> | undefined };

/** The reads of one family: its machines, a machine's state, its actions. */
export interface FamilyReads<F extends Family, Status, ActionList, MachineList> {
  /** A page of the machines this key reaches, sorted by id. */
  list(options?: PageOptions): Promise<MachineList>;
  /** Every page of the machines this key reaches, from `options.cursor` on. */
  listPages(options?: PageOptions): AsyncGenerator<MachineList, void, undefined>;
  /** The machine's power state as its back-end reports it, and its newest action. */
  status(id: string, options?: CallOptions): Promise<Status>;
  readonly actions: {
    /** A page of the machine's actions, newest first. */
    list(id: string, options?: PageOptions): Promise<ActionList>;
    /** Every page of the machine's actions, newest first, from `options.cursor` on. */
    pages(id: string, options?: PageOptions): AsyncGenerator<ActionList, void, undefined>;
    get(id: string, actionId: string, options?: CallOptions): Promise<ActionOf[F]>;
  };
}

export interface HeoClient {
  readonly vps: FamilyReads<'vps', VpsStatus, VpsActionList, VpsList> & {
    start(id: string, options?: CallOptions): Promise<Accepted<VpsPowerResult, 'vps'>>;
    stop(id: string, options?: CallOptions): Promise<Accepted<VpsPowerResult, 'vps'>>;
    reset(id: string, options?: ConfirmedCallOptions): Promise<Accepted<VpsPowerResult, 'vps'>>;
  };
  readonly gameServers: FamilyReads<
    'game',
    GameServerStatus,
    GameServerActionList,
    GameServerList
  > & {
    start(id: string, options?: CallOptions): Promise<Accepted<GameServerPowerResult, 'game'>>;
    stop(id: string, options?: CallOptions): Promise<Accepted<GameServerPowerResult, 'game'>>;
    restart(id: string, options?: CallOptions): Promise<Accepted<GameServerPowerResult, 'game'>>;
    kill(
      id: string,
      options?: ConfirmedCallOptions,
    ): Promise<Accepted<GameServerPowerResult, 'game'>>;
  };
  readonly actions: {
    /** The action a handle names, as far as heo-power knows. */
    get<F extends Family>(handle: ActionHandle<F>, options?: CallOptions): Promise<ActionOf[F]>;
  };
  /**
   * Polls the action until it ends (`succeeded`, `failed`, `timed_out`) and resolves to it; the
   * pause between polls doubles up to a cap, and a 429 or 503 waits its `Retry-After`. Rejects
   * with `HeoWaitTimeoutError` after `timeoutMs`, with the signal's reason when it aborts, and
   * with the `HeoApiError` of any other refusal (401, 403, 404).
   */
  waitFor<F extends Family>(action: ActionRef<F>, options: WaitOptions): Promise<ActionOf[F]>;
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

const BASES: { readonly [F in Family]: string } = {
  vps: '/v1/hosting/cloud/vps-custom',
  game: '/v1/hosting/game/power',
};

/** `…/vps-custom/{id}/actions/{action_id}` at the end of a `Location` (any prefix before it). */
const LOCATION = /\/v1\/hosting\/(cloud\/vps-custom|game\/power)\/([^/]+)\/actions\/([^/]+)$/;

const handleOf = <F extends Family>(
  family: F,
  location: string | null,
): ActionHandle<F> | undefined => {
  if (location === null) return undefined;
  let path: string;
  try {
    path = new URL(location, 'http://heo.invalid').pathname;
  } catch {
    return undefined;
  }
  const match = LOCATION.exec(path);
  const [, base, machineId, actionId] = match ?? [];
  if (base === undefined || machineId === undefined || actionId === undefined) return undefined;
  if (`/v1/hosting/${base}` !== BASES[family]) return undefined;
  try {
    return {
      family,
      machineId: decodeURIComponent(machineId),
      actionId: decodeURIComponent(actionId),
    };
  } catch {
    return undefined;
  }
};

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

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

const FINAL: ReadonlySet<string> = new Set(FINAL_ACTION_STATUSES);

/**
 * A client of heo-power: the power endpoints (one `POST` each) and the reads (`GET`), with the
 * key as a Bearer token; a 200 resolves to its body, anything else rejects with a `HeoApiError`.
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

  /** A power POST, retried as the caller asked, every attempt under one `Idempotency-Key`. */
  const send = async (
    path: string,
    query: URLSearchParams,
    call: ConfirmedCallOptions,
  ): Promise<{ readonly body: unknown; readonly headers: Headers }> => {
    const retries = Math.max(0, Math.floor(call.retries ?? 0));
    const key = call.idempotencyKey ?? (retries > 0 ? globalThis.crypto.randomUUID() : undefined);
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await request('POST', path, query, call, key);
      } catch (error) {
        if (attempt >= retries || call.signal?.aborted === true || !retryable(error)) throw error;
        const wait = error instanceof HeoApiError ? (error.retryAfter ?? 1) : 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 30) * 1_000));
      }
    }
  };

  const request = async (
    method: 'GET' | 'POST',
    path: string,
    query: URLSearchParams,
    call: CallOptions,
    key?: string,
  ): Promise<{ readonly body: unknown; readonly headers: Headers }> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
    };
    if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
    if (key !== undefined) headers['idempotency-key'] = quoted(key);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
    const search = query.toString();
    const url = `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;
    const res = await fetchImpl(url, { method, headers, signal });
    const text = await res.text();
    const body = parse(text);
    if (res.status === 200 && body !== undefined) return { body, headers: res.headers };
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

  const at = (family: Family, id: string, ...rest: string[]): string =>
    [BASES[family], encodeURIComponent(id), ...rest.map(encodeURIComponent)].join('/');

  const power = async <T, F extends Family>(
    family: F,
    id: string,
    action: string,
    call: ConfirmedCallOptions = {},
  ): Promise<Accepted<T, F>> => {
    const query = new URLSearchParams(call.force === true ? { force: 'true' } : {});
    const { body, headers } = await send(at(family, id, action), query, call);
    const handle = handleOf(family, headers.get('location'));
    return Object.defineProperty(body as object, 'handle', {
      value: handle,
      enumerable: false,
    }) as Accepted<T, F>;
  };

  const get = async <T>(path: string, call: CallOptions = {}, page?: PageOptions): Promise<T> => {
    const query = new URLSearchParams();
    if (page?.limit !== undefined) query.set('limit', String(page.limit));
    if (page?.cursor !== undefined && page.cursor !== null) query.set('cursor', page.cursor);
    return (await request('GET', path, query, call)).body as T;
  };

  /** Every page from `options.cursor` on; a server that gives the same cursor twice is refused. */
  async function* pages<P extends { readonly next_cursor: string | null }>(
    read: (options: PageOptions) => Promise<P>,
    options: PageOptions,
  ): AsyncGenerator<P, void, undefined> {
    let cursor = options.cursor ?? null;
    for (;;) {
      const page = await read({ ...options, cursor });
      yield page;
      if (page.next_cursor === null) return;
      if (page.next_cursor === cursor) {
        throw new HeoApiError({
          status: 200,
          code: 'invalid_response',
          message: 'heo-power gave the same next_cursor twice',
        });
      }
      cursor = page.next_cursor;
    }
  }

  const reads = <F extends Family, Status, ActionList, MachineList>(
    family: F,
  ): FamilyReads<F, Status, ActionList, MachineList> => {
    const list = (o: PageOptions = {}) => get<MachineList>(BASES[family], o, o);
    const actions = (id: string, o: PageOptions = {}) =>
      get<ActionList>(at(family, id, 'actions'), o, o);
    return {
      list,
      listPages: (o = {}) =>
        pages((page) => list(page) as Promise<MachineList & { next_cursor: string | null }>, o),
      status: (id, o) => get<Status>(at(family, id, 'status'), o),
      actions: {
        list: actions,
        pages: (id, o = {}) =>
          pages(
            (page) => actions(id, page) as Promise<ActionList & { next_cursor: string | null }>,
            o,
          ),
        get: (id, actionId, o) => get<ActionOf[F]>(at(family, id, 'actions', actionId), o),
      },
    };
  };

  const getAction = <F extends Family>(handle: ActionHandle<F>, o?: CallOptions) =>
    get<ActionOf[F]>(at(handle.family, handle.machineId, 'actions', handle.actionId), o);

  const waitFor = async <F extends Family>(
    ref: ActionRef<F>,
    wait: WaitOptions,
  ): Promise<ActionOf[F]> => {
    const handle = 'handle' in ref ? ref.handle : ref;
    if (handle === undefined) {
      throw new TypeError('heo-power client: the answer had no Location, so no action to wait for');
    }
    const deadline = AbortSignal.timeout(wait.timeoutMs);
    const signal = wait.signal === undefined ? deadline : AbortSignal.any([wait.signal, deadline]);
    const cap = wait.maxIntervalMs ?? 5_000;
    let interval = Math.min(wait.intervalMs ?? 500, cap);
    let lastSeen: ActionOf[F] | undefined;
    const call = { signal, ...(wait.requestId === undefined ? {} : { requestId: wait.requestId }) };
    const stopped = (error: unknown): unknown => {
      if (wait.signal?.aborted === true) return wait.signal.reason;
      if (deadline.aborted) {
        return new HeoWaitTimeoutError({
          actionId: handle.actionId,
          timeoutMs: wait.timeoutMs,
          lastSeen,
        });
      }
      return error;
    };
    // Bounded by the deadline: every poll and every pause ends when it aborts.
    for (;;) {
      let pause = interval;
      try {
        lastSeen = await getAction(handle, call);
        if (FINAL.has(lastSeen.status)) return lastSeen;
        interval = Math.min(interval * 2, cap);
      } catch (error) {
        const transient = isHeoApiError(error) && (error.status === 429 || error.status === 503);
        if (!transient) throw stopped(error);
        pause = Math.max(interval, (error.retryAfter ?? 1) * 1_000);
      }
      try {
        await sleep(pause, signal);
      } catch (error) {
        throw stopped(error);
      }
    }
  };

  return {
    vps: {
      ...reads<'vps', VpsStatus, VpsActionList, VpsList>('vps'),
      start: (id, o) => power<Result<'startVps'>, 'vps'>('vps', id, 'start', o),
      stop: (id, o) => power<Result<'stopVps'>, 'vps'>('vps', id, 'stop', o),
      reset: (id, o) => power<Result<'resetVps'>, 'vps'>('vps', id, 'reset', o),
    },
    gameServers: {
      ...reads<'game', GameServerStatus, GameServerActionList, GameServerList>('game'),
      start: (id, o) => power<Result<'startGameServer'>, 'game'>('game', id, 'start', o),
      stop: (id, o) => power<Result<'stopGameServer'>, 'game'>('game', id, 'stop', o),
      restart: (id, o) => power<Result<'restartGameServer'>, 'game'>('game', id, 'restart', o),
      kill: (id, o) => power<Result<'killGameServer'>, 'game'>('game', id, 'kill', o),
    },
    actions: { get: getAction },
    waitFor,
  };
};
