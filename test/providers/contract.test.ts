import { runProviderContract } from './provider-contract.js';
import { runStateContract } from './state-contract.js';
import { proxmoxWorld, pterodactylWorld, simulatorWorld } from './worlds.js';

runProviderContract('simulator, VPS', () => simulatorWorld('vps'));
runProviderContract('simulator, game servers', () => simulatorWorld('game'));
runProviderContract('Proxmox VE, QEMU virtual machines', () => proxmoxWorld('qemu'));
runProviderContract('Proxmox VE, LXC containers', () => proxmoxWorld('lxc'));
runProviderContract('Pterodactyl / Pelican', () => pterodactylWorld());

runStateContract('simulator, VPS', () => simulatorWorld('vps'));
runStateContract('simulator, game servers', () => simulatorWorld('game'));
runStateContract('Proxmox VE, QEMU virtual machines', () => proxmoxWorld('qemu'));
runStateContract('Proxmox VE, LXC containers', () => proxmoxWorld('lxc'));
runStateContract('Pterodactyl / Pelican', () => pterodactylWorld());
