import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { PowerProvider, StateOutcome } from '../../src/providers/provider.js';
import { STATE_CACHE_MS, StateReader } from '../../src/services/state-reader.js';
import type { ResourceRecord } from '../../src/store/store.js';

const machine: ResourceRecord = {
  type: 'vps',
  id: 'vps_1',
  customerId: 'cus_a',
  provider: 'sim',
  ref: 'r',
  createdAt: 0,
  assignedAt: 0,
};

/** A back-end that counts its state reads and answers them when told to. */
const countingBackEnd = () => {
  const pending: ((outcome: StateOutcome) => void)[] = [];
  const provider = {
    state: () => new Promise<StateOutcome>((resolve) => pending.push(resolve)),
  } as Pick<PowerProvider, 'state'> as PowerProvider;
  return {
    registry: { get: () => provider },
    pending,
    answer: (outcome: StateOutcome) => {
      for (const resolve of pending.splice(0)) resolve(outcome);
    },
  };
};

const context = { requestId: 'r', logger: createLogger('silent') };
const RUNNING: StateOutcome = { read: true, state: 'running', detail: null };

describe('reading machine state for polling clients', () => {
  it('shares one back-end call among concurrent polls, reuses it, and asks again after the cache time', async () => {
    const backEnd = countingBackEnd();
    let now = 1_000;
    const reader = new StateReader(backEnd.registry, () => now);
    const polls = [reader.read(machine, context), reader.read(machine, context)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(backEnd.pending).toHaveLength(1);
    backEnd.answer(RUNNING);
    expect(await Promise.all(polls)).toEqual([
      { state: 'running', checkedAt: 1_000 },
      { state: 'running', checkedAt: 1_000 },
    ]);
    now += STATE_CACHE_MS - 1;
    expect(await reader.read(machine, context)).toEqual({ state: 'running', checkedAt: 1_000 });
    now += 1;
    const later = reader.read(machine, context);
    await new Promise((resolve) => setImmediate(resolve));
    expect(backEnd.pending).toHaveLength(1);
    backEnd.answer(RUNNING);
    expect(await later).toEqual({ state: 'running', checkedAt: now });
  });

  it('does not keep a failed read: the next poll asks again', async () => {
    const backEnd = countingBackEnd();
    const reader = new StateReader(backEnd.registry, () => 5_000);
    const first = reader.read(machine, context);
    await new Promise((resolve) => setImmediate(resolve));
    backEnd.answer({ read: false, failure: 'timeout', upstreamStatus: null, detail: 'slow' });
    expect(await first).toBeNull();
    const second = reader.read(machine, context);
    await new Promise((resolve) => setImmediate(resolve));
    expect(backEnd.pending).toHaveLength(1);
    backEnd.answer(RUNNING);
    expect(await second).toEqual({ state: 'running', checkedAt: 5_000 });
  });
});
