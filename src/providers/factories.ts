import type { ProviderType } from './provider-type.js';
import type { ProviderFactory } from './provider.js';
import { proxmoxFactory } from './proxmox/proxmox-factory.js';
import { pterodactylFactory } from './pterodactyl/pterodactyl-factory.js';
import { simulatorFactory } from './simulator/simulator-factory.js';

/** Every provider type this build can drive. */
export const PROVIDER_FACTORIES: ReadonlyMap<ProviderType, ProviderFactory> = new Map([
  [simulatorFactory.type, simulatorFactory],
  [proxmoxFactory.type, proxmoxFactory],
  [pterodactylFactory.type, pterodactylFactory],
]);
