import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

/** Every `error` code the API documents, from the error envelope of each status. */
export type ErrorCode = {
  [Name in keyof Schemas]: Name extends `${string}Error`
    ? Schemas[Name]['error' & keyof Schemas[Name]]
    : never;
}[keyof Schemas];

/** What the client reports when an answer is not the API's JSON envelope (e.g. a proxy's page). */
export type ClientErrorCode = 'invalid_response';

/**
 * An answer other than 200: the status, the API's `error` code and `message`, the request id to
 * quote to support, and on 429 and 503 how many seconds to wait (`Retry-After`).
 */
export class HeoApiError extends Error {
  override readonly name = 'HeoApiError';
  readonly status: number;
  readonly code: ErrorCode | ClientErrorCode;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(init: {
    readonly status: number;
    readonly code: ErrorCode | ClientErrorCode;
    readonly message: string;
    readonly requestId?: string | undefined;
    readonly retryAfter?: number | undefined;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }
}

export const isHeoApiError = (value: unknown): value is HeoApiError => value instanceof HeoApiError;

/**
 * `waitFor` gave up: the action had not ended within `timeoutMs`. The action may still end; its
 * `actionId` can be read again later. `lastSeen` is the action as last read, if it was read.
 */
export class HeoWaitTimeoutError<Action = unknown> extends Error {
  override readonly name = 'HeoWaitTimeoutError';
  readonly actionId: string;
  readonly timeoutMs: number;
  readonly lastSeen: Action | undefined;

  constructor(init: {
    readonly actionId: string;
    readonly timeoutMs: number;
    readonly lastSeen: Action | undefined;
  }) {
    super(`action ${init.actionId} did not end within ${init.timeoutMs} ms`);
    this.actionId = init.actionId;
    this.timeoutMs = init.timeoutMs;
    this.lastSeen = init.lastSeen;
  }
}
