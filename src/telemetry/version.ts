import { createRequire } from 'node:module';

/*
 * The package version, for the tracer's instrumentation scope. `../../package.json` is the package root both
 * from src/telemetry (tests, tsx) and from dist/telemetry (the build), and inside node_modules once installed.
 */
export const PACKAGE_VERSION: string | undefined = (() => {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { name?: unknown; version?: unknown };
    return pkg.name === 'switchyard' && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
})();
