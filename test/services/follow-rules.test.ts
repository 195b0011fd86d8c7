import { describe, expect, it } from 'vitest';
import {
  type Look,
  nextLookAt,
  pastDeadline,
  readState,
  readTask,
} from '../../src/services/follow-rules.js';
import { readFailed, stateRead, TASK_RUNNING, taskEnded } from '../../src/providers/provider.js';

const REQUESTED = 1_000_000;
const look = (over: Partial<Look> = {}): Look => ({
  action: 'start',
  providerType: 'proxmox',
  requestedAt: REQUESTED,
  progress: null,
  now: REQUESTED + 5_000,
  ...over,
});

describe('when an action has ended, by what its back-end says', () => {
  it('a start or stop ends when the machine is where the action leaves it', () => {
    expect(readState(look(), stateRead('running'))).toEqual({
      kind: 'ended',
      status: 'succeeded',
      error: null,
    });
    expect(readState(look(), stateRead('starting'))).toEqual({
      kind: 'open',
      progress: null,
      failure: null,
    });
    expect(readState(look({ action: 'kill' }), stateRead('stopped')).kind).toBe('ended');
    expect(readState(look({ action: 'stop' }), stateRead('running')).kind).toBe('open');
  });

  it('a restart found running proves nothing until it was seen leave running', () => {
    const restart = look({ action: 'restart', providerType: 'pterodactyl' });
    expect(readState(restart, stateRead('running'))).toMatchObject({
      kind: 'open',
      progress: null,
    });
    expect(readState(restart, stateRead('stopping'))).toMatchObject({
      kind: 'open',
      progress: 'left_running',
    });
    expect(readState({ ...restart, progress: 'left_running' }, stateRead('running'))).toMatchObject(
      { kind: 'ended', status: 'succeeded' },
    );
  });

  it('an uptime counts as proof only when it began after the request, however stale the reading', () => {
    const restart = look({
      action: 'restart',
      providerType: 'pterodactyl',
      now: REQUESTED + 60_000,
    });
    // Up for 45 s as read 60 s after the request: measured up to 20 s ago (the panel's cache), it
    // may have started 5 s before the request.
    expect(readState(restart, stateRead('running', null, 45_000)).kind).toBe('open');
    // Up for 10 s: even measured 20 s ago, it started 30 s after the request.
    expect(readState(restart, stateRead('running', null, 10_000))).toMatchObject({
      kind: 'ended',
      status: 'succeeded',
    });
    // Proxmox answers live: 50 s of uptime 60 s after the request is proof.
    expect(
      readState(
        { ...restart, action: 'reset', providerType: 'proxmox' },
        stateRead('running', null, 50_000),
      ).kind,
    ).toBe('ended');
  });

  it('reads a task: running, ended well, failed, or forgotten by its back-end', () => {
    expect(readTask(look(), TASK_RUNNING)).toEqual({
      verdict: { kind: 'open', progress: null, failure: null },
    });
    expect(readTask(look(), taskEnded(true, 'OK'))).toEqual({
      progress: 'task_ok',
      taskFailed: false,
    });
    expect(readTask(look(), taskEnded(false, 'VM is locked'))).toEqual({
      progress: 'task_lost',
      taskFailed: true,
    });
    expect(readTask(look(), readFailed('not_found', 'no such task'))).toEqual({
      progress: 'task_lost',
      taskFailed: false,
    });
    expect(readTask(look(), readFailed('timeout', 'slow', null))).toEqual({
      verdict: { kind: 'open', progress: null, failure: 'timeout' },
    });
  });

  it('a failed task ends well only where the machine is what a start or stop asked for', () => {
    // Proxmox fails the start of a running VM: it runs, as asked.
    expect(readState(look(), stateRead('running'), true)).toMatchObject({ status: 'succeeded' });
    expect(readState(look(), stateRead('stopped'), true)).toEqual({
      kind: 'ended',
      status: 'failed',
      error: 'task_failed',
    });
    expect(readState(look({ action: 'reset' }), stateRead('running'), true)).toMatchObject({
      status: 'failed',
    });
  });

  it('past the deadline an open action times out, saying whether the back-end could be read', () => {
    expect(pastDeadline({ kind: 'open', progress: null, failure: null })).toEqual({
      kind: 'ended',
      status: 'timed_out',
      error: 'deadline_exceeded',
    });
    expect(pastDeadline({ kind: 'open', progress: null, failure: 'unreachable' })).toMatchObject({
      error: 'provider_unreachable',
    });
  });

  it('backs off by half each look up to the cap, waits out Retry-After, and looks once at the deadline', () => {
    const schedule = { firstMs: 1_000, maxMs: 10_000 };
    const far = 1e12;
    expect([1, 2, 3, 4, 10].map((checks) => nextLookAt(0, checks, schedule, far))).toEqual([
      1_000, 1_500, 2_250, 3_375, 10_000,
    ]);
    // Whole milliseconds, as the store keeps them.
    expect(nextLookAt(0, 3, { firstMs: 50, maxMs: 1_000 }, far)).toBe(113);
    expect(nextLookAt(0, 1, schedule, far, 30_000)).toBe(30_000);
    expect(nextLookAt(0, 10, schedule, 4_000)).toBe(4_000);
  });
});
