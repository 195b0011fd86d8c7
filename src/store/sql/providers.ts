import type { ProviderType } from '../../providers/provider-type.js';
import type { Actor, JsonObject, ProviderRecord, ProviderStore } from '../store.js';
import type { ChangeSignal } from './change-signal.js';
import type { SqlExecutor, SqlRow } from './executor.js';
import { recordOperatorEvent } from './operator-log.js';
import { jsonObject, num, str, strOrNull } from './rows.js';

const toProvider = (row: SqlRow): ProviderRecord => ({
  name: str(row.name),
  type: str(row.type) as ProviderType,
  settings: jsonObject(row.settings) ?? {},
  secret: strOrNull(row.secret),
  secretHint: strOrNull(row.secret_hint),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
});

export class SqlProviderStore implements ProviderStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly signal: ChangeSignal,
  ) {}

  add(record: ProviderRecord, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO providers (name, type, settings, secret, secret_hint, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          record.name,
          record.type,
          JSON.stringify(record.settings),
          record.secret,
          record.secretHint,
          record.createdAt,
          record.updatedAt,
        ],
      );
      await recordOperatorEvent(tx, actor, 'provider.add', record.name, {
        type: record.type,
        settings: record.settings,
      });
      await this.signal(tx);
    });
  }

  async get(name: string): Promise<ProviderRecord | undefined> {
    const row = await this.db.get('SELECT * FROM providers WHERE name = ?', [name]);
    return row && toProvider(row);
  }

  async list(): Promise<readonly ProviderRecord[]> {
    return (await this.db.all('SELECT * FROM providers ORDER BY name')).map(toProvider);
  }

  replaceSecret(
    name: string,
    secret: { readonly sealed: string; readonly hint: string },
    at: number,
    actor: Actor,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed =
        (await tx.run(
          'UPDATE providers SET secret = ?, secret_hint = ?, updated_at = ? WHERE name = ?',
          [secret.sealed, secret.hint, at, name],
        )) > 0;
      if (changed) {
        await recordOperatorEvent(tx, actor, 'provider.credential', name, { hint: secret.hint });
        await this.signal(tx);
      }
      return changed;
    });
  }

  update(
    name: string,
    change: {
      readonly settings: JsonObject;
      readonly secret?: { readonly sealed: string; readonly hint: string };
    },
    at: number,
    actor: Actor,
    detail: JsonObject,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const settings = JSON.stringify(change.settings);
      const changed =
        (change.secret === undefined
          ? await tx.run('UPDATE providers SET settings = ?, updated_at = ? WHERE name = ?', [
              settings,
              at,
              name,
            ])
          : await tx.run(
              'UPDATE providers SET settings = ?, secret = ?, secret_hint = ?, updated_at = ? WHERE name = ?',
              [settings, change.secret.sealed, change.secret.hint, at, name],
            )) > 0;
      if (changed) {
        await recordOperatorEvent(tx, actor, 'provider.update', name, detail, at);
        await this.signal(tx);
      }
      return changed;
    });
  }

  remove(name: string, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const removed = (await tx.run('DELETE FROM providers WHERE name = ?', [name])) > 0;
      if (removed) {
        await recordOperatorEvent(tx, actor, 'provider.remove', name, null);
        await this.signal(tx);
      }
      return removed;
    });
  }
}
