/** Every error Switchyard throws carries a stable `code`; match on it or on the `isX()` guards. */
export abstract class SwitchyardError extends Error {
  abstract readonly code: string;
  readonly isSwitchyardError = true;
}

export function isSwitchyardError(e: unknown): e is SwitchyardError {
  return typeof e === 'object' && e !== null && (e as { isSwitchyardError?: unknown }).isSwitchyardError === true;
}
