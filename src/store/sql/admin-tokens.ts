import type { Actor, AdminTokenRecord, AdminTokenStore, NewAdminToken } from '../store.js';
import type { SqlExecutor, SqlRow } from './executor.js';
import { recordOperatorEvent } from './operator-log.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

// The digest never leaves the store: lookups compare it in SQL.
const COLUMNS = 'id, name, display_prefix, created_at, revoked_at';

const toToken = (row: SqlRow): AdminTokenRecord => ({
  id: str(row.id),
  name: strOrNull(row.name),
  displayPrefix: str(row.display_prefix),
  createdAt: num(row.created_at),
  revokedAt: numOrNull(row.revoked_at),
});

/**
 * Admin tokens are read through on every admin request (there are few, and admin traffic is
 * light), so no cache and no change signal: a revocation is seen by every instance at once.
 */
export class SqlAdminTokenStore implements AdminTokenStore {
  constructor(private readonly db: SqlExecutor) {}

  create(token: NewAdminToken, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO admin_tokens (id, name, token_hash, display_prefix, created_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, NULL)`,
        [token.id, token.name, token.hash, token.displayPrefix, token.createdAt],
      );
      await recordOperatorEvent(
        tx,
        actor,
        'admin_token.create',
        token.id,
        { name: token.name },
        token.createdAt,
      );
    });
  }

  async get(id: string): Promise<AdminTokenRecord | undefined> {
    const row = await this.db.get(`SELECT ${COLUMNS} FROM admin_tokens WHERE id = ?`, [id]);
    return row && toToken(row);
  }

  async findByHash(hash: string): Promise<AdminTokenRecord | undefined> {
    const row = await this.db.get(`SELECT ${COLUMNS} FROM admin_tokens WHERE token_hash = ?`, [
      hash,
    ]);
    return row && toToken(row);
  }

  async list(): Promise<readonly AdminTokenRecord[]> {
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM admin_tokens ORDER BY created_at, id`);
    return rows.map(toToken);
  }

  revoke(id: string, at: number, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(
        'UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        [at, id],
      );
      if (changed === 0) {
        return (
          (await tx.get('SELECT 1 AS found FROM admin_tokens WHERE id = ?', [id])) !== undefined
        );
      }
      await recordOperatorEvent(tx, actor, 'admin_token.revoke', id, null, at);
      return true;
    });
  }
}
