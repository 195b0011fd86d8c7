import type { KeyScope } from '../domain/access.js';
import type { PowerAction, ResourceType } from '../domain/power.js';
import type { MaybePromise } from '../lib/maybe-async.js';

import type { ProviderType } from '../providers/provider-type.js';

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface ProviderRecord {
  readonly name: string;
  readonly type: ProviderType;
  /** Non-secret settings of the provider type (URL, timeouts, TLS options...). */
  readonly settings: JsonObject;
  /** The provider credential, encrypted; never shown. */
  readonly secret: string | null;
  /** A masked hint of the credential for listings, e.g. `root@pam!heo=…3f9a`. */
  readonly secretHint: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ResourceRef {
  readonly type: ResourceType;
  readonly id: string;
}

export interface ResourceRecord extends ResourceRef {
  readonly customerId: string;
  readonly provider: string;
  /** How the provider knows the machine: `pve1/qemu/100`, a panel server identifier... */
  readonly ref: string;
  readonly createdAt: number;
  /** When the machine came to its current customer: when it was added, or last moved. */
  readonly assignedAt: number;
}

/**
 * What changes about a machine: a new customer (a move: `assignedAt` becomes the time of the
 * change), and where it runs. Absent fields stay as they are.
 */
export interface ResourceChange {
  readonly customerId?: string;
  readonly provider?: string;
  readonly ref?: string;
}

/** A machine changed or removed, and the keys that lost it from their list of machines. */
export interface ResourceOutcome {
  readonly before: ResourceRecord;
  /** `null` when the machine was removed. */
  readonly after: ResourceRecord | null;
  /** Keys of another customer than the machine's (now) that named it; they name it no more. */
  readonly unscopedKeys: readonly string[];
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly customerId: string;
  readonly name: string | null;
  readonly scope: KeyScope;
  /** `null`: all of the customer's resources, present and future. */
  readonly resources: readonly ResourceRef[] | null;
  /** Client address ranges the key may be used from (`192.0.2.0/24`); `null`: anywhere. */
  readonly allowedIps: readonly string[] | null;
  readonly displayPrefix: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** A key as the authenticator sees it: with its digest, never its plaintext. */
export interface StoredApiKey extends ApiKeyRecord {
  readonly hash: string;
}

export interface NewApiKey {
  readonly id: string;
  readonly customerId: string;
  readonly name: string | null;
  readonly scope: KeyScope;
  readonly resources: readonly ResourceRef[] | null;
  readonly allowedIps: readonly string[] | null;
  readonly hash: string;
  readonly displayPrefix: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

/** One authenticated power request, accepted or refused. */
export interface AuditEntry {
  readonly at: number;
  readonly requestId: string;
  readonly keyId: string;
  readonly customerId: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly action: PowerAction;
  readonly status: number;
  readonly error: string | null;
  readonly clientIp: string | null;
  readonly provider: string | null;
  readonly upstreamStatus: number | null;
  readonly upstreamDetail: string | null;
  readonly taskRef: string | null;
  /**
   * The handle of the action an accepted request started: its row in the actions table is
   * written in the same commit as this entry.
   */
  readonly actionId?: string | null;
  /**
   * The `Idempotency-Key` the request claimed and the reply it got, stored for replays in the
   * same commit as this entry (and its action row).
   */
  readonly idempotency?: { readonly key: string; readonly reply: IdempotentReply } | null;
  /** On a replay's entry: the request id of the first request with the key. */
  readonly replayOf?: string | null;
  /**
   * The customer may have a webhook endpoint: the `power.action.requested` deliveries of the
   * action are queued in the same commit. Left out where the customer has none, so that the
   * batch costs nothing more than without webhooks.
   */
  readonly webhooks?: boolean;
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
  readonly replayOf: string | null;
}

/** The reply of a request with an `Idempotency-Key`, as its retries are answered. */
export interface IdempotentReply {
  readonly status: number;
  /** The error code of a refused reply (its body says it too), for the replay's audit entry. */
  readonly error: string | null;
  readonly body: string;
  readonly location: string | null;
}

/** A request's claim of an `Idempotency-Key` of its API key, made before the back-end is called. */
export interface IdempotencyClaim {
  readonly keyId: string;
  readonly key: string;
  /** What the request asks (method, path, confirmation, body): a retry must ask the same. */
  readonly fingerprint: string;
  readonly requestId: string;
  /** Wall-clock epoch ms. */
  readonly now: number;
  /** The end of the key's window. */
  readonly expiresAt: number;
  /** Until when the claim, unless completed, counts as a request in progress. */
  readonly leaseUntil: number;
}

/** The key as another request with it finds it. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly requestId: string;
  /** `pending` until the first request's outcome is committed. */
  readonly state: 'pending' | 'done';
  /** `null` while pending. */
  readonly reply: IdempotentReply | null;
  readonly expiresAt: number;
  readonly leaseUntil: number;
}

/** `claimed`: this request won the key (it alone calls the back-end). */
export type ClaimOutcome =
  { readonly claimed: true } | { readonly claimed: false; readonly record: IdempotencyRecord };

export interface IdempotencyStore {
  /**
   * Claims the key with an insert only one request can win, on every instance sharing the store;
   * a key whose window and lease have both passed is claimed afresh. Otherwise the record found.
   * The claim is committed when this resolves. Its completion is written by `AuditSink.append`
   * with the request's audit entry (`AuditEntry.idempotency`).
   */
  claim(claim: IdempotencyClaim): Promise<ClaimOutcome>;
  /** Removes at most `limit` keys whose window and lease both ended before `before`. */
  prune(before: number, limit: number): Promise<number>;
}

/**
 * Which power audit records to read; every field narrows, and each is served by an index. Times
 * are epoch milliseconds: `since` inclusive, `until` exclusive.
 */
export interface AuditFilter {
  readonly since?: number;
  readonly until?: number;
  readonly keyId?: string;
  readonly customerId?: string;
  readonly resource?: ResourceRef;
  readonly action?: string;
  readonly status?: number;
  readonly requestId?: string;
}

/**
 * One page of a log, newest first (by time, then id). `cursor` is the `nextCursor` of the page
 * before, with the same filter: an opaque text that the store made and checks.
 */
export interface PageQuery {
  readonly limit: number;
  readonly cursor?: string;
}

export interface AuditQuery extends AuditFilter, PageQuery {}

/** A page and where the next one starts; `nextCursor` is `null` on the last page. */
export interface LogPage<T> {
  readonly rows: readonly T[];
  readonly nextCursor: string | null;
}

/** What one batch of pruning did. */
export interface PruneBatch {
  /** Records removed by this batch. */
  readonly deleted: number;
  /** `false` when another instance is pruning right now: nothing was done. */
  readonly acquired: boolean;
}

/** Where an action stands: accepted by the back-end, on its way, or ended. */
export type ActionStatus = 'requested' | 'in_progress' | 'succeeded' | 'failed' | 'timed_out';

/** An accepted power action, as its caller can follow it. */
export interface ActionRecord {
  readonly id: string;
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly customerId: string;
  readonly keyId: string;
  readonly action: PowerAction;
  readonly provider: string | null;
  readonly taskRef: string | null;
  readonly status: ActionStatus;
  /** A stable code of heo-power's when the action did not succeed; never upstream text. */
  readonly error: string | null;
  readonly requestedAt: number;
  readonly finishedAt: number | null;
}

/** Where a page of a machine's actions ends: the last action it holds. */
export interface ActionPosition {
  readonly requestedAt: number;
  readonly id: string;
}

export interface ActionPage {
  readonly actions: readonly ActionRecord[];
  /** Where the next page starts, or `null` when this one is the last. */
  readonly next: ActionPosition | null;
}

export interface ActionQuery {
  /** Only actions requested at or after this time (the machine's `assignedAt`). */
  readonly since: number;
  readonly limit: number;
  /** Only actions older than this position (the previous page's `next`). */
  readonly after?: ActionPosition;
}

export interface ActionStore {
  get(
    resourceType: ResourceType,
    resourceId: string,
    id: string,
  ): Promise<ActionRecord | undefined>;
  /** A machine's actions, newest first. */
  list(resourceType: ResourceType, resourceId: string, query: ActionQuery): Promise<ActionPage>;
  /**
   * Takes up to `limit` unfinished actions that are due for a look, for `leaseMs` from `now`:
   * until then no other claim returns them (one instance looks at an action at a time), after it
   * they are due again (the instance that took them died, or lost its store).
   */
  claim(claim: ActionClaim): Promise<FollowedAction[]>;
  /**
   * Writes what looks found, all in one transaction. A look whose lease was taken over meanwhile
   * (it outlived its lease) is not written; the ids of those written are returned.
   */
  settle(settlements: readonly ActionSettlement[]): Promise<ReadonlySet<string>>;
}

/** An unfinished action, as the instance that claimed it holds it. */
export interface FollowedAction extends ActionRecord {
  /** Looks it has had so far. */
  readonly checks: number;
  /** What those looks found on the way (the follower's own words), or `null`. */
  readonly progress: string | null;
  /** The lease it was claimed under. */
  readonly lease: string;
}

export interface ActionClaim {
  /** Unique to this claim: a settlement is written only under the lease it was claimed with. */
  readonly lease: string;
  readonly now: number;
  /** Actions requested after this time are not due for their first look yet. */
  readonly firstCheckBefore: number;
  readonly leaseMs: number;
  readonly limit: number;
}

/** What one look at a claimed action found. */
export interface ActionSettlement {
  readonly id: string;
  readonly lease: string;
  readonly status: ActionStatus;
  readonly error: string | null;
  readonly finishedAt: number | null;
  /** When to look again; `null` once the action has ended. */
  readonly nextCheckAt: number | null;
  readonly checks: number;
  readonly progress: string | null;
}

/** A change an operator made (provider, resource or key), written with the change itself. */
export interface OperatorEvent {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly event: string;
  readonly subject: string;
  readonly detail: JsonObject | null;
}

/** Who is changing configuration, for the operator log. */
export interface Actor {
  readonly name: string;
}

export interface ProviderStore {
  add(record: ProviderRecord, actor: Actor): Promise<void>;
  get(name: string): Promise<ProviderRecord | undefined>;
  list(): Promise<readonly ProviderRecord[]>;
  /** Replaces the sealed credential and its hint; `false` when no such provider exists. */
  replaceSecret(
    name: string,
    secret: { readonly sealed: string; readonly hint: string },
    at: number,
    actor: Actor,
  ): Promise<boolean>;
  /**
   * Replaces the settings and, when given, the sealed credential and its hint, with an operator
   * event carrying `detail`; `false` when no such provider exists.
   */
  update(
    name: string,
    change: {
      readonly settings: JsonObject;
      readonly secret?: { readonly sealed: string; readonly hint: string };
    },
    at: number,
    actor: Actor,
    detail: JsonObject,
  ): Promise<boolean>;
  /** Refused with `StoreReferenceError` while resources use the provider. */
  remove(name: string, actor: Actor): Promise<boolean>;
}

export interface ResourceStore {
  add(record: ResourceRecord, actor: Actor): Promise<void>;
  get(type: ResourceType, id: string): Promise<ResourceRecord | undefined>;
  list(filter?: {
    readonly customerId?: string;
    readonly type?: ResourceType;
  }): Promise<readonly ResourceRecord[]>;
  countByProvider(provider: string): Promise<number>;
  /**
   * Changes a machine if it still is `expected` (as read before), in one transaction with its
   * operator event; a new customer also takes the machine out of every other customer's key.
   * `undefined` when no such machine exists; `'changed'` when it changed meanwhile.
   */
  update(
    expected: ResourceRecord,
    change: ResourceChange,
    at: number,
    actor: Actor,
  ): Promise<ResourceOutcome | 'changed' | undefined>;
  /** Removes a machine and every key's mention of it; `undefined` when no such machine exists. */
  remove(type: ResourceType, id: string, actor: Actor): Promise<ResourceOutcome | undefined>;
}

export interface KeyStore {
  create(key: NewApiKey, actor: Actor): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Answers at once, without a promise, where the store can (SQLite) and no key has the digest:
   * the lookup brute force makes for every key it tries.
   */
  findByHash(hash: string): MaybePromise<StoredApiKey | undefined>;
  /**
   * The digest of every stored key, revoked and expired ones included, or `null` when there are
   * more than `limit`: lets the request path tell a digest no key has from memory.
   */
  allHashes(limit: number): Promise<readonly string[] | null>;
  list(filter?: { readonly customerId?: string }): Promise<readonly ApiKeyRecord[]>;
  /**
   * Creates `replacement` and makes the key `id` expire at `expiresAt` (or keeps its expiry when
   * that is sooner), in one transaction; `false` when `id` is not an active key.
   */
  rotate(
    id: string,
    replacement: NewApiKey,
    expiresAt: number,
    now: number,
    actor: Actor,
  ): Promise<boolean>;
  /** `false` when no such key exists. Revoking a revoked key keeps its first revocation time. */
  revoke(id: string, at: number, actor: Actor): Promise<boolean>;
  /** Batched `last_used_at` updates; never on the request path. */
  touch(lastUsed: ReadonlyMap<string, number>): Promise<void>;
}

/** A token of the admin HTTP API, as listings show it: never the token, never its digest. */
export interface AdminTokenRecord {
  readonly id: string;
  readonly name: string | null;
  readonly displayPrefix: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface NewAdminToken extends AdminTokenRecord {
  readonly hash: string;
}

export interface AdminTokenStore {
  create(token: NewAdminToken, actor: Actor): Promise<void>;
  get(id: string): Promise<AdminTokenRecord | undefined>;
  /** Read on every admin request, so a revocation holds at once on every instance. */
  findByHash(hash: string): Promise<AdminTokenRecord | undefined>;
  list(): Promise<readonly AdminTokenRecord[]>;
  /** `false` when no such token exists. Revoking a revoked token keeps its first revocation time. */
  revoke(id: string, at: number, actor: Actor): Promise<boolean>;
}

/** What a corrected audit row says instead: the reply its request really got. */
export interface AuditOutcome {
  readonly status: number;
  readonly error: string | null;
}

/** What the audit writer needs of the store: writes, and the probe of whether it can write. */
export interface AuditSink {
  /**
   * Appends all entries in one transaction. When `signal` aborts, the append is abandoned so that
   * it cannot commit later (on PostgreSQL its connection is closed) and rejects. `batch` names the
   * append (a time-ordered id, unique per batch) for `amend`'s fence.
   */
  append(entries: readonly AuditEntry[], signal?: AbortSignal, batch?: string): Promise<void>;
  /**
   * Where rows of these accepted (200) entries exist among the latest ones, makes them say
   * `outcome`; returns how many changed. First, on a store whose statements can outlive their
   * caller's decision (PostgreSQL: one held up in the network), fences the `batches` the entries
   * were appended in: a fenced batch can no longer commit, so the rows found are all there will be.
   */
  amend?(
    entries: readonly AuditEntry[],
    outcome: AuditOutcome,
    signal?: AbortSignal,
    batches?: readonly string[],
  ): Promise<number>;
  /**
   * Resolves when an audit record could be written now: one is inserted in a transaction that is
   * rolled back, so nothing is left behind. Readiness asks this, since a store that answers reads
   * but refuses writes cannot serve a single power request.
   */
  probe(): Promise<void>;
}

export interface AuditStore extends AuditSink {
  /** The rows of `page(query)`. */
  list(query: AuditQuery): Promise<readonly AuditRecord[]>;
  /** One page of records matching the filter; `InvalidCursorError` for a cursor it did not make. */
  page(query: AuditQuery): Promise<LogPage<AuditRecord>>;
  /**
   * Every record matching the filter, newest first, read in keyset pages of `pageSize` rows: a
   * caller that streams them out holds one page at a time.
   */
  iterate(filter: AuditFilter, pageSize?: number): AsyncIterable<AuditRecord>;
  /**
   * Removes at most `limit` records older than `before` (epoch ms), in one short transaction. On
   * a shared store it first takes a lock that only one instance holds at a time, and does nothing
   * (`acquired: false`) when another has it.
   */
  prune(before: number, limit: number): Promise<PruneBatch>;
}

/**
 * Which operator events to read. `subject` with `subjectKind` matches the events about one thing:
 * `subjectKind: 'key'` and a key id, `'vps'` or `'game'` and a machine id, `'provider'` and a name.
 */
export interface OperatorFilter {
  readonly since?: number;
  readonly until?: number;
  readonly event?: string;
  readonly subject?: { readonly kind: string; readonly id: string };
}

export interface OperatorQuery extends OperatorFilter, PageQuery {}

export interface OperatorLogStore {
  list(limit: number): Promise<readonly OperatorEvent[]>;
  page(query: OperatorQuery): Promise<LogPage<OperatorEvent>>;
  iterate(filter: OperatorFilter, pageSize?: number): AsyncIterable<OperatorEvent>;
}

/**
 * Tells the hot path's caches when keys, resources or providers may have changed, including by
 * another process (the CLI) or another instance.
 */
export interface ChangeFeed {
  /** `true` when configuration may have changed since the previous call; cheap, synchronous. */
  poll(): boolean;
  /**
   * Where changes arrive as messages (PostgreSQL): resolves `true` once every change committed
   * before the call has arrived, so that the next `poll` reports it. Absent where `poll` asks
   * the database itself (SQLite).
   */
  caughtUp?(): Promise<boolean>;
}

export interface MigrationStatus {
  readonly current: number;
  readonly latest: number;
  readonly pending: readonly string[];
}

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  readonly dialect: StoreDialect;
  /** Where the store lives, with any credentials removed. */
  readonly location: string;
  readonly providers: ProviderStore;
  readonly resources: ResourceStore;
  readonly keys: KeyStore;
  readonly adminTokens: AdminTokenStore;
  readonly audit: AuditStore;
  readonly actions: ActionStore;
  readonly idempotency: IdempotencyStore;
  readonly operatorLog: OperatorLogStore;
  readonly webhooks: WebhookStore;
  readonly changes: ChangeFeed;
  migrationStatus(): Promise<MigrationStatus>;
  /** Applies pending migrations in order; returns the names applied. */
  migrate(): Promise<readonly string[]>;
  /**
   * Called once by a server whose schema is ready, before it takes requests. SQLite moves its
   * checkpoints to a worker thread and stops waiting on locks inside the event loop.
   */
  enterServing?(): void;
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The events a webhook endpoint can subscribe to. */
export type WebhookEventType =
  | 'power.action.requested'
  | 'power.action.succeeded'
  | 'power.action.failed'
  | 'power.action.timed_out';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  'power.action.requested',
  'power.action.succeeded',
  'power.action.failed',
  'power.action.timed_out',
];

/** A customer's webhook endpoint, as listings show it: never its secrets. */
export interface WebhookEndpointRecord {
  readonly id: string;
  readonly customerId: string;
  readonly url: string;
  /** `null`: every event type. */
  readonly events: readonly WebhookEventType[] | null;
  readonly enabled: boolean;
  /** Why it was disabled (`gone`: the receiver answered 410; `failing`: it failed for days). */
  readonly disabledReason: string | null;
  /** Since when every attempt has failed; `null` while the last one succeeded. */
  readonly failingSince: number | null;
  /** Until when the previous secret still signs too (a rotation's overlap); `null`: none. */
  readonly previousUntil: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An endpoint with its sealed secrets, as the deliverer needs it. */
export interface StoredWebhookEndpoint extends WebhookEndpointRecord {
  readonly secret: string;
  readonly previousSecret: string | null;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint, and how its attempts went. */
export interface WebhookDelivery {
  readonly id: number;
  /** The `webhook-id` of every attempt. */
  readonly eventId: string;
  readonly endpointId: string;
  readonly type: WebhookEventType;
  readonly actionId: string;
  /** When the event happened: the body's `timestamp`. */
  readonly createdAt: number;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  /** When it is due next; `null` once delivered or failed. */
  readonly nextAttemptAt: number | null;
  readonly lastAttemptAt: number | null;
  /** The receiver's HTTP status of the last attempt, `null` when none came. */
  readonly lastStatus: number | null;
  /** Why the last attempt failed, in heo-power's words (`timeout`, `refused_address`...). */
  readonly lastError: string | null;
  /** The start of the receiver's last answer, capped. */
  readonly lastResponse: string | null;
  readonly finishedAt: number | null;
}

/** A delivery as the instance that claimed it holds it. */
export interface ClaimedWebhookDelivery extends WebhookDelivery {
  readonly lease: string;
}

/** What one attempt came to. */
export interface WebhookAttempt {
  readonly id: number;
  readonly lease: string;
  readonly endpointId: string;
  readonly at: number;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly response: string | null;
}

export interface NewWebhookEndpoint {
  readonly id: string;
  readonly customerId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[] | null;
  /** Sealed. */
  readonly secret: string;
  readonly createdAt: number;
}

export interface WebhookQueueStats {
  readonly pending: number;
  /** When the oldest pending delivery's event happened; `null` when none is pending. */
  readonly oldestPendingAt: number | null;
}

export interface WebhookStore {
  add(endpoint: NewWebhookEndpoint, actor: Actor): Promise<void>;
  get(id: string): Promise<StoredWebhookEndpoint | undefined>;
  list(filter?: { readonly customerId?: string }): Promise<readonly WebhookEndpointRecord[]>;
  /** Removes the endpoint and its deliveries; `false` when no such endpoint exists. */
  remove(id: string, actor: Actor): Promise<boolean>;
  /**
   * Replaces the secret; the current one goes on signing until `previousUntil` (none when it is
   * `null`). `false` when no such endpoint exists.
   */
  rotateSecret(
    id: string,
    sealed: string,
    previousUntil: number | null,
    at: number,
    actor: Actor,
  ): Promise<boolean>;
  /**
   * Turns the endpoint off (`reason`) or on again; its pending deliveries fail when it is turned
   * off. `false` when no such endpoint exists, or it already was so.
   */
  setEnabled(
    id: string,
    enabled: boolean,
    reason: string | null,
    at: number,
    actor: Actor,
    detail?: JsonObject,
  ): Promise<boolean>;
  /** The customers that have an enabled endpoint. */
  customers(): Promise<ReadonlySet<string>>;
  /** Takes due deliveries of enabled endpoints for `leaseMs`, as `ActionStore.claim` does. */
  claim(claim: {
    readonly lease: string;
    readonly now: number;
    readonly leaseMs: number;
    readonly limit: number;
  }): Promise<ClaimedWebhookDelivery[]>;
  /**
   * Writes an attempt's outcome, only under the lease it was claimed with, and the endpoint's
   * failing streak with it; `false` when the lease was taken over meanwhile.
   */
  record(attempt: WebhookAttempt): Promise<boolean>;
  deliveries(endpointId: string, limit: number): Promise<readonly WebhookDelivery[]>;
  delivery(id: number): Promise<WebhookDelivery | undefined>;
  /** Makes a delivery due again now, attempts counted anew; `false` when there is none. */
  redeliver(id: number, at: number, actor: Actor): Promise<boolean>;
  /** The action an event is about, whatever its machine. */
  action(id: string): Promise<ActionRecord | undefined>;
  stats(): Promise<WebhookQueueStats>;
}
