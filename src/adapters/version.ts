// The package's own version, read once from package.json (the bundler inlines just that field).
import { createRequire } from 'node:module';

/** cutover's version, as package.json gives it. */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
