import type { MachineState, PowerAction } from '../../domain/power.js';

/** The states a simulated machine goes through: it is never paused, and always known. */
export type SimulatedState = Extract<MachineState, 'stopped' | 'starting' | 'running' | 'stopping'>;

/** The next steps a machine goes through after an action, or why it cannot take it. */
export type Plan =
  | { readonly kind: 'already' }
  | { readonly kind: 'refuse'; readonly reason: string }
  | {
      readonly kind: 'move';
      /** The state entered at once. */
      readonly now: SimulatedState;
      /** States entered one after another, each after the transition delay. */
      readonly later: readonly SimulatedState[];
    };

const isUp = (state: SimulatedState): boolean => state === 'running' || state === 'starting';

/**
 * Power semantics of the simulator, close to the real back-ends: starting a running machine is a
 * no-op, a reset needs a running machine (as Proxmox refuses "VM not running"), a restart also
 * starts a stopped game server (as Wings does), and kill stops at once.
 */
export const plan = (state: SimulatedState, action: PowerAction): Plan => {
  switch (action) {
    case 'start':
      return isUp(state)
        ? { kind: 'already' }
        : { kind: 'move', now: 'starting', later: ['running'] };
    case 'stop':
      return isUp(state)
        ? { kind: 'move', now: 'stopping', later: ['stopped'] }
        : { kind: 'already' };
    case 'reset':
      return isUp(state)
        ? { kind: 'move', now: 'starting', later: ['running'] }
        : { kind: 'refuse', reason: 'machine not running' };
    case 'restart':
      return state === 'stopped'
        ? { kind: 'move', now: 'starting', later: ['running'] }
        : { kind: 'move', now: 'stopping', later: ['starting', 'running'] };
    case 'kill':
      return state === 'stopped'
        ? { kind: 'already' }
        : { kind: 'move', now: 'stopped', later: [] };
  }
};
