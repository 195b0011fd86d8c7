/**
 * The URL of a worker thread's entry file next to this one. Run from the TypeScript sources (the
 * tests), it is the built file in dist/: Node 20 cannot start a worker from a .ts file.
 */
export const workerUrl = (file: string): URL =>
  import.meta.url.endsWith('.ts')
    ? new URL(`../../../dist/store/sqlite/${file}`, import.meta.url)
    : new URL(`./${file}`, import.meta.url);
