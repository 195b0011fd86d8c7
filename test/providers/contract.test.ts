import { runProviderContract } from './provider-contract.js';
import { proxmoxWorld, pterodactylWorld, simulatorWorld } from './worlds.js';

runProviderContract('simulator, VPS', () => simulatorWorld('vps'));
runProviderContract('simulator, game servers', () => simulatorWorld('game'));
runProviderContract('Proxmox VE, QEMU virtual machines', () => proxmoxWorld('qemu'));
runProviderContract('Proxmox VE, LXC containers', () => proxmoxWorld('lxc'));
runProviderContract('Pterodactyl / Pelican', () => pterodactylWorld());
