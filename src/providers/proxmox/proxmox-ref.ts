/** Formats of the Proxmox VE API that heo-power reads or writes. */

export type GuestType = 'qemu' | 'lxc';

export interface GuestRef {
  readonly node: string;
  readonly type: GuestType;
  readonly vmid: number;
}

/** A node name is a host name label: letters, digits and inner hyphens, at most 63 characters. */
const NODE = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
/** `pve-vmid`: 100 to 999999999. */
const VMID = '[1-9][0-9]{2,8}';
const GUEST_REF = new RegExp(`^(${NODE})/(qemu|lxc)/(${VMID})$`);

export const GUEST_REF_FORMAT = '<node>/qemu/<vmid> or <node>/lxc/<vmid>, e.g. pve1/qemu/100';

export const parseGuestRef = (ref: string): GuestRef | null => {
  const match = GUEST_REF.exec(ref);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return null;
  return { node: match[1], type: match[2] as GuestType, vmid: Number(match[3]) };
};

/** Why `ref` is not a guest reference, or `null` when it is one. */
export const guestRefProblem = (ref: string): string | null => {
  if (parseGuestRef(ref) !== null) return null;
  const [node, type, vmid, ...rest] = ref.split('/');
  if (rest.length > 0 || vmid === undefined) return 'expected three parts separated by "/"';
  if (!new RegExp(`^${NODE}$`).test(node ?? ''))
    return `"${node ?? ''}" is not a node name (letters, digits and inner hyphens)`;
  if (type !== 'qemu' && type !== 'lxc')
    return `the guest type must be qemu or lxc, not "${type ?? ''}"`;
  return `"${vmid}" is not a VM id (a number from 100 to 999999999)`;
};

/** `USER@REALM!TOKENID=SECRET`; the secret Proxmox generates is a UUID. */
const API_TOKEN =
  /^([^\s@!=:]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*)=([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

export interface ApiToken {
  /** `user@realm!tokenid`: not secret, shown in hints. */
  readonly id: string;
  readonly secret: string;
}

export const parseApiToken = (text: string): ApiToken | null => {
  const value = text.trim().replace(/^PVEAPIToken[= ]/, '');
  const match = API_TOKEN.exec(value);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { id: match[1], secret: match[2] };
};

/** `UPID:node:pid:pstart:starttime:type:id:user:` (hex fields, trailing colon). */
const UPID =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:$/;

/** The node a task runs on, or `null` when `upid` is not a task id. */
export const nodeOfUpid = (upid: string): string | null => UPID.exec(upid)?.[1] ?? null;
