/*
 * Key layout (docs/shared-state.md). One hash per configured endpoint for its state, one for its failure
 * window, one string for its probe lease, and one pub/sub channel: 3 keys per endpoint at most, so the
 * config bounds the size. The endpoint id (config-validated: [A-Za-z0-9._:-]) is the only variable part,
 * but for the conversation keys (a provider's response id, at most 256 characters), which expire.
 */
export interface KeyLayout {
  state(endpoint: string): string;
  window(endpoint: string): string;
  lease(endpoint: string): string;
  /** Which provider holds a Responses conversation: the one key not bounded by the config (it expires). */
  conversation(responseId: string): string;
  readonly channel: string;
}

export function keyLayout(prefix: string): KeyLayout {
  return {
    state: (e) => `${prefix}:circuit:${e}`,
    window: (e) => `${prefix}:window:${e}`,
    lease: (e) => `${prefix}:probe:${e}`,
    conversation: (id) => `${prefix}:conversation:${id}`,
    channel: `${prefix}:events`,
  };
}
