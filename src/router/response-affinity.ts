/**
 * Which provider holds each Responses API conversation: a `previous_response_id` is state kept by one
 * provider, and a follow-up sent to another would be refused there (and wrongly fall back, or count).
 * Bounded, oldest forgotten first. With a shared store (`state.store: redis`) the fleet remembers too, so a
 * follow-up reaching another replica (or this one after a restart) finds the holder; an id nobody knows
 * routes as the chain says, and a provider's refusal of it is the caller's `client_error`.
 */
const MAX_ID_LENGTH = 256;

/** What the fleet remembers (src/state: SharedStateStore's conversation methods). */
export interface SharedConversations {
  rememberConversation(responseId: string, provider: string): void;
  conversationHolder(responseId: string): Promise<string | undefined>;
}

export class ResponseAffinity {
  private readonly providers = new Map<string, string>();

  constructor(
    private readonly capacity = 100_000,
    /** Undefined: this process only (no shared store, or no route where the holder could matter). */
    private readonly shared?: SharedConversations,
  ) {}

  remember(responseId: string, provider: string): void {
    // A provider's id is short; one that is not is not worth holding (and a hostile one could be huge).
    if (responseId.length > MAX_ID_LENGTH) return;
    this.keep(responseId, provider);
    this.shared?.rememberConversation(responseId, provider);
  }

  /** The holder this process knows of, else the fleet's (a store that does not answer in time: none). */
  holderOf(responseId: unknown): string | undefined | Promise<string | undefined> {
    if (typeof responseId !== 'string' || responseId.length > MAX_ID_LENGTH) return undefined;
    const local = this.providers.get(responseId);
    if (local !== undefined || !this.shared) return local;
    return this.shared.conversationHolder(responseId).then((provider) => {
      if (provider !== undefined) this.keep(responseId, provider);
      return provider;
    });
  }

  private keep(responseId: string, provider: string): void {
    if (this.providers.has(responseId)) this.providers.delete(responseId);
    else if (this.providers.size >= this.capacity) this.providers.delete(this.providers.keys().next().value!);
    this.providers.set(responseId, provider);
  }
}
