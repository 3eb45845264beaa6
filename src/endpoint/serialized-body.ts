/**
 * A request body serialised once, before any attempt, so that a body JSON cannot carry fails as the caller's
 * error before any provider is tried (not inside an attempt, where it would look like the provider's), and so
 * that each attempt pays a concatenation, not a serialisation: the copies sent to each endpoint differ only in
 * `model` and `stream`, which lead the object.
 */
export class SerializedBody {
  /** The body without `model` and `stream`: what follows them, from the comma (or the closing brace). */
  private readonly rest: string;

  /** Throws what JSON.stringify throws: a RangeError (nesting too deep), a TypeError (a BigInt, a cycle). */
  constructor(params: object) {
    const text = JSON.stringify({ ...params, model: undefined, stream: undefined });
    this.rest = text === '{}' ? '}' : `,${text.slice(1)}`;
  }

  /** The body for one endpoint. */
  text(model: string, stream: boolean): string {
    return `{"model":${JSON.stringify(model)},"stream":${stream}${this.rest}`;
  }
}
