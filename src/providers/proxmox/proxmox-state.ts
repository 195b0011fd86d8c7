import type { MachineState } from '../../domain/power.js';
import type { GuestType } from './proxmox-ref.js';

/**
 * QEMU's run states (QMP `query-status`, as `qmpstatus` of `status/current`) and what they mean
 * for a customer. A VM whose QEMU process exists reports `status: running` whatever its run
 * state, so `qmpstatus` decides:
 *
 * | qmpstatus | state |
 * |---|---|
 * | `running` | running |
 * | `paused`, `suspended` (guest sleeps), `debug`, `save-vm`, `finish-migrate`, `postmigrate` | paused |
 * | `prelaunch`, `inmigrate`, `restore-vm` | starting (QEMU is up, the guest not yet) |
 * | `shutdown` (the guest powered off, QEMU has not exited yet) | stopping |
 * | `io-error`, `internal-error`, `guest-panicked`, `watchdog`, `colo`, anything else | unknown |
 */
const QMP_STATES: Readonly<Record<string, MachineState>> = {
  running: 'running',
  paused: 'paused',
  suspended: 'paused',
  debug: 'paused',
  'save-vm': 'paused',
  'finish-migrate': 'paused',
  postmigrate: 'paused',
  prelaunch: 'starting',
  inmigrate: 'starting',
  'restore-vm': 'starting',
  shutdown: 'stopping',
};

export interface GuestState {
  readonly state: MachineState;
  /** What Proxmox reported, for the log. */
  readonly detail: string;
  /** `uptime` (Proxmox gives seconds), when it is a number. */
  readonly uptimeMs?: number;
}

const uptimeOf = (value: unknown): { uptimeMs?: number } =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? { uptimeMs: value * 1000 }
    : {};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The state of a guest from the `data` of `GET …/{qemu|lxc}/{vmid}/status/current`, or `null`
 * when that is not a guest status. `status` is `running` or `stopped`; containers have nothing
 * finer, and a VM hibernated to disk is `stopped` with `lock: suspended`.
 */
export const guestStateOf = (type: GuestType, data: unknown): GuestState | null => {
  if (typeof data !== 'object' || data === null) return null;
  const fields = data as {
    status?: unknown;
    qmpstatus?: unknown;
    lock?: unknown;
    uptime?: unknown;
  };
  const status = text(fields.status);
  if (status === undefined) return null;
  const lock = text(fields.lock);
  const locked = lock === undefined ? '' : `, lock ${lock}`;
  if (status === 'stopped') return { state: 'stopped', detail: `status stopped${locked}` };
  if (status !== 'running') return { state: 'unknown', detail: `status ${status}${locked}` };
  // QMP gives nothing (the monitor is busy): Proxmox falls back to `status`, and so do we.
  const qmp = type === 'qemu' ? (text(fields.qmpstatus) ?? 'running') : 'running';
  return {
    state: QMP_STATES[qmp] ?? 'unknown',
    detail:
      type === 'qemu' ? `status running, qmpstatus ${qmp}${locked}` : `status running${locked}`,
    ...uptimeOf(fields.uptime),
  };
};
