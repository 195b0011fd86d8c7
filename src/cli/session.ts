import { userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import { type Container, createContainer } from '../container.js';
import { createLogger } from '../logger.js';
import type { Actor } from '../store/store.js';
import type { CliIo } from './io.js';

/** Operator commands log only warnings, to stderr, unless LOG_LEVEL says otherwise. */
export const withContainer = async <T>(
  io: CliIo,
  work: (container: Container) => Promise<T>,
): Promise<T> => {
  const config = loadConfig(io.env);
  const level = io.env.LOG_LEVEL === undefined ? 'warn' : config.logLevel;
  const container = await createContainer(config, {
    logger: createLogger(level, io.stderr),
    serving: false,
  });
  try {
    return await work(container);
  } finally {
    await container.close();
  }
};

/** Who ran the command, for the operator log. */
export const cliActor = (): Actor => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Containers may run with a uid that has no passwd entry.
  }
  return { name: `cli:${user}` };
};
