import type { SqlCapabilities } from '../sql/executor.js';
import * as initial from './0001-initial.js';
import * as keyAllowlists from './0002-key-allowlists.js';
import * as auditFences from './0003-audit-fences.js';
import * as machineAssignment from './0004-machine-assignment.js';
import * as auditIndexes from './0005-audit-indexes.js';
import * as actions from './0006-actions.js';
import * as adminTokens from './0007-admin-tokens.js';
import * as actionFollow from './0008-action-follow.js';
import * as idempotencyKeys from './0009-idempotency-keys.js';
import * as webhooks from './0010-webhooks.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (capabilities: SqlCapabilities) => readonly string[];
}

/** Every migration, in the order it is applied. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001-initial', up: initial.up },
  { version: 2, name: '0002-key-allowlists', up: keyAllowlists.up },
  { version: 3, name: '0003-audit-fences', up: auditFences.up },
  { version: 4, name: '0004-machine-assignment', up: machineAssignment.up },
  { version: 5, name: '0005-audit-indexes', up: auditIndexes.up },
  { version: 6, name: '0006-actions', up: actions.up },
  { version: 7, name: '0007-admin-tokens', up: adminTokens.up },
  { version: 8, name: '0008-action-follow', up: actionFollow.up },
  { version: 9, name: '0009-idempotency-keys', up: idempotencyKeys.up },
  { version: 10, name: '0010-webhooks', up: webhooks.up },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
