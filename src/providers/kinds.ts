import type { ProviderType } from '../store/store.js';
import type { ProviderKind } from './provider.js';
import { proxmoxKind } from './proxmox/proxmox-kind.js';
import { pterodactylKind } from './pterodactyl/pterodactyl-kind.js';
import { simulatorKind } from './simulator/simulator-kind.js';

/** Every provider type this build can drive. */
export const PROVIDER_KINDS: ReadonlyMap<ProviderType, ProviderKind> = new Map([
  [simulatorKind.type, simulatorKind],
  [proxmoxKind.type, proxmoxKind],
  [pterodactylKind.type, pterodactylKind],
]);
