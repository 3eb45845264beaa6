/** Every error Switchyard throws carries a stable `code`; match on it or on the `isX()` guards. */
export abstract class SwitchyardError extends Error {
  abstract readonly code: string;
  readonly isSwitchyardError = true;
}

/** The `isX()` guard for a class that carries `readonly isX = true`: works across copies of the package. */
export function markerGuard<T>(marker: string): (e: unknown) => e is T {
  return (e: unknown): e is T => typeof e === 'object' && e !== null && (e as Record<string, unknown>)[marker] === true;
}

export const isSwitchyardError = markerGuard<SwitchyardError>('isSwitchyardError');
