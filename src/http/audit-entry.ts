import type { Principal } from '../domain/access.js';
import type { PowerAction, PowerFamily } from '../domain/power.js';
import { storableId } from '../domain/untrusted-text.js';
import type { ProviderTrace } from '../services/action-sender.js';
import type { AuditEntry, IdempotentReply } from '../store/store.js';

/** What the audit record of an authenticated power request is made of. */
export interface AuditFacts {
  readonly requestId: string;
  readonly route: { readonly family: PowerFamily; readonly action: PowerAction };
  readonly principal: Principal;
  readonly resourceId: string;
  readonly clientIp: string | undefined;
  /** What the provider said, once it was asked. */
  readonly trace: ProviderTrace | null;
  readonly status: number;
  readonly error: string | null;
  /** The handle of the action an accepted request started. */
  readonly actionId?: string;
  /** The claimed `Idempotency-Key` and the reply stored for its retries. */
  readonly idempotency?: { readonly key: string; readonly reply: IdempotentReply };
  /** On a replay: the request id of the first request. */
  readonly replayOf?: string;
}

/** The audit record of a power request, its answer's status and error code included. */
export const auditEntryOf = (facts: AuditFacts): AuditEntry => {
  const { principal, route, trace } = facts;
  return {
    at: Date.now(),
    requestId: facts.requestId,
    keyId: principal.keyId,
    customerId: principal.customerId,
    resourceType: route.family.type,
    resourceId: storableId(facts.resourceId),
    action: route.action,
    status: facts.status,
    error: facts.error,
    clientIp: facts.clientIp ?? null,
    provider: trace?.provider ?? null,
    upstreamStatus: trace?.upstreamStatus ?? null,
    upstreamDetail: trace?.upstreamDetail ?? null,
    taskRef: trace?.taskRef ?? null,
    actionId: facts.actionId ?? null,
    ...(facts.idempotency === undefined ? {} : { idempotency: facts.idempotency }),
    ...(facts.replayOf === undefined ? {} : { replayOf: facts.replayOf }),
  };
};
