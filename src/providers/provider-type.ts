/** The back-ends this build can drive; a provider record names one of them. */
export type ProviderType = 'simulator' | 'proxmox' | 'pterodactyl';
export const PROVIDER_TYPES: readonly ProviderType[] = ['simulator', 'proxmox', 'pterodactyl'];
