/// <reference types="node" preserve="true" />
export { parseConfig, loadConfigFile, checkConfigFile, withParsedFields, type LoadOptions, type CheckResult } from './load.js';
export { substituteEnv, formatPath, type EnvSubstitution } from './env.js';
export {
  configSchema,
  ID_PATTERN,
  type SwitchyardConfig,
  type SwitchyardConfigInput,
  type BreakerConfig,
  type RetryConfig,
  type ProviderConfig,
  type EndpointConfig,
  type RouteConfig,
  type ServerConfig,
} from './schema.js';
export { ConfigError, isConfigError, type ConfigProblem } from '../errors/config-error.js';
