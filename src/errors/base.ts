/** Every error Switchyard throws carries a stable `code`; match on it or on the `isX()` guards. */
export abstract class SwitchyardError extends Error {
  abstract readonly code: string;
  readonly isSwitchyardError = true;

  /**
   * `instanceof` by brand, not by prototype: an error made by another copy of the package (two versions in
   * one node_modules), or the openai SDK error the library hands back with the same facts, is still an
   * instance. Each class's brand is the `is<ClassName>` marker its instances carry.
   */
  static override [Symbol.hasInstance](this: { name: string; prototype: object }, value: unknown): boolean {
    // Not an Error at all (the router asks `checked instanceof InvalidRequestError` of every request's
    // serialised body): no marker to build and look up.
    if (!(value instanceof Error)) return false;
    if (Object.prototype.isPrototypeOf.call(this.prototype, value)) return true;
    return (value as unknown as Record<string, unknown>)[`is${this.name}`] === true;
  }
}

/** The `isX()` guard for a class that carries `readonly isX = true`: works across copies of the package. */
export function markerGuard<T>(marker: string): (e: unknown) => e is T {
  return (e: unknown): e is T => typeof e === 'object' && e !== null && (e as Record<string, unknown>)[marker] === true;
}

export const isSwitchyardError = markerGuard<SwitchyardError>('isSwitchyardError');
