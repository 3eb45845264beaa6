/**
 * Which provider holds each Responses API conversation this router started: a `previous_response_id` is
 * state kept by one provider, and a follow-up sent to another would be refused there (and wrongly fall
 * back, or count). Bounded, oldest forgotten first; an id it never saw (another replica's, or from before
 * a restart) routes as the chain says, and a provider's refusal of it is the caller's `client_error`.
 */
const MAX_ID_LENGTH = 256;

export class ResponseAffinity {
  private readonly providers = new Map<string, string>();

  constructor(private readonly capacity = 100_000) {}

  remember(responseId: string, provider: string): void {
    // A provider's id is short; one that is not is not worth holding (and a hostile one could be huge).
    if (responseId.length > MAX_ID_LENGTH) return;
    if (this.providers.has(responseId)) this.providers.delete(responseId);
    else if (this.providers.size >= this.capacity) this.providers.delete(this.providers.keys().next().value!);
    this.providers.set(responseId, provider);
  }

  providerOf(responseId: unknown): string | undefined {
    return typeof responseId === 'string' ? this.providers.get(responseId) : undefined;
  }
}
