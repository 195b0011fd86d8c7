#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './run.js';

const io = processIo();
const code = await runCli(process.argv.slice(2), io);
// A failed command ends at once (pools and timers must not keep it alive); a server keeps running.
if (code !== 0) process.exit(code);
