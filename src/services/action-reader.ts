import { canAccess, type Principal } from '../domain/access.js';
import type { ResourceType } from '../domain/power.js';
import type {
  ActionPage,
  ActionPosition,
  ActionRecord,
  ActionStore,
  ResourceRecord,
  ResourceStore,
} from '../store/store.js';

/** A page of the machines a key reaches, by id. */
export interface MachinePage {
  readonly ids: readonly string[];
  /** The last id of this page when more follow, else `null`. */
  readonly next: string | null;
}

/**
 * What a customer's key may read about what it asked for: a machine's actions since the machine
 * came to its current customer, and the machines the key reaches. Access to the machine itself
 * has been checked by the rules before.
 */
export class ActionReader {
  readonly #actions: ActionStore;
  readonly #resources: ResourceStore;

  constructor(stores: { readonly actions: ActionStore; readonly resources: ResourceStore }) {
    this.#actions = stores.actions;
    this.#resources = stores.resources;
  }

  /** `undefined` for an id the machine does not have, or had before its current customer. */
  async action(machine: ResourceRecord, id: string): Promise<ActionRecord | undefined> {
    const found = await this.#actions.get(machine.type, machine.id, id);
    return found !== undefined && found.requestedAt >= machine.assignedAt ? found : undefined;
  }

  actions(machine: ResourceRecord, limit: number, after?: ActionPosition): Promise<ActionPage> {
    return this.#actions.list(machine.type, machine.id, {
      since: machine.assignedAt,
      limit,
      ...(after === undefined ? {} : { after }),
    });
  }

  /** The newest action of the machine since it came to its current customer, if any. */
  async lastAction(machine: ResourceRecord): Promise<ActionRecord | null> {
    return (await this.actions(machine, 1)).actions[0] ?? null;
  }

  /** The machines of one type the key reaches, sorted by id, after `after`. */
  async machines(
    principal: Principal,
    type: ResourceType,
    limit: number,
    after?: string,
  ): Promise<MachinePage> {
    const owned = await this.#resources.list({ customerId: principal.customerId, type });
    const ids = owned
      .filter((machine) => canAccess(principal, machine))
      .map((machine) => machine.id)
      .filter((id) => after === undefined || id > after)
      .sort();
    const page = ids.slice(0, limit);
    return { ids: page, next: ids.length > limit ? (page.at(-1) ?? null) : null };
  }
}
