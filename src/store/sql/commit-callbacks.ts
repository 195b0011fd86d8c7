/**
 * The callbacks of `SqlExecutor.afterCommit` for one connection: held while a transaction is open,
 * run once it commits, dropped if it rolls back, run at once outside a transaction.
 */
export class CommitCallbacks {
  #pending: (() => void)[] = [];

  add(callback: () => void, inTransaction: boolean): void {
    if (inTransaction) this.#pending.push(callback);
    else callback();
  }

  committed(): void {
    const callbacks = this.#pending;
    this.#pending = [];
    for (const callback of callbacks) callback();
  }

  rolledBack(): void {
    this.#pending = [];
  }
}
