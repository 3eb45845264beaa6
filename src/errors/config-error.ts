import { markerGuard, SwitchyardError } from './base.js';

/** One problem in a configuration, located by its dotted path (`endpoints.gpt-4o.timeoutMs`). */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** `path: message`, or the message alone for a problem with the whole document. */
export const formatProblem = (p: ConfigProblem): string => (p.path ? `${p.path}: ${p.message}` : p.message);

/** The configuration is invalid. Lists every problem at once; never quotes a value (it may be a secret). */
export class ConfigError extends SwitchyardError {
  readonly code = 'config_invalid';
  readonly isConfigError = true;
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const isConfigError = markerGuard<ConfigError>('isConfigError');
