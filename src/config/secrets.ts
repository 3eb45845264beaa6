import type { SwitchyardConfig } from './schema.js';

/**
 * Every secret the config holds: provider keys, provider headers whose name says they carry a credential
 * (authorization, x-api-key, api-key, x-goog-api-key, anything with key/token/secret/auth/password in its
 * name), client keys and the admin key. Text that might echo one is scrubbed with `createScrubber`. Other
 * header values (anthropic-version 2023-06-01, a user agent) are not secrets: scrubbing them mangled errors.
 */
export function configuredSecrets(config: Pick<SwitchyardConfig, 'providers' | 'server'>): string[] {
  const out: string[] = [];
  for (const p of Object.values(config.providers ?? {})) {
    if (p.apiKey) out.push(p.apiKey);
    for (const [name, v] of Object.entries(p.headers ?? {})) if (isSecretHeader(name)) out.push(v);
  }
  out.push(...(config.server?.apiKeys ?? []));
  if (config.server?.adminKey) out.push(config.server.adminKey);
  return out;
}

/** A header whose name says its value is a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|passw|auth|cookie|signature|credential/i;

/**
 * The shortest secret scrubbed: a shorter one would mangle ordinary text. The config refuses keys shorter
 * than this (schema.ts), so that none is left unscrubbed.
 */
export const MIN_SECRET_CHARS = 4;

/**
 * Replaces every occurrence of the given secrets with `[redacted]`, longest first (so a key that contains
 * another is not half-replaced). Switchyard's own messages never carry keys; this is for what providers send
 * back, which is passed on as is and could echo a key. Secrets under 4 characters are left alone: scrubbing
 * them would mangle ordinary text, and no provider issues keys that short. The text scrubbed is often JSON,
 * where a key holding `"`, `\` or a control character appears escaped: that form is scrubbed too.
 */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const forms = secrets.filter((s) => s.length >= MIN_SECRET_CHARS).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const list = [...new Set(forms)].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  };
}
