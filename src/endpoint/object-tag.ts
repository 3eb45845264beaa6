/**
 * A value carried on an object that nobody else sees: not JSON, `Object.keys`, its symbols, a spread or deep
 * equality (test matchers compare enumerable symbol keys). What a non-enumerable property gives, at the cost of
 * an ordinary property store: `Object.defineProperty` goes through a runtime call, 0.3–0.4 µs a chunk on the
 * streamed path (docs/design.md). Unlike a WeakMap entry it dies with the object and gives the garbage
 * collector no ephemeron to trace.
 */
export interface ObjectTag<V> {
  /** Tags `target` with `value` (again: replaces it). A non-extensible object is left as it is. */
  set(target: object, value: V): void;
  /** What `target` was tagged with; undefined for anything else. */
  get(target: unknown): V | undefined;
}

/** A new tag, private to whoever holds it. */
export function objectTag<V>(): ObjectTag<V> {
  // The private-field stamp: a base constructor that returns the object it is given makes `new Stamped(o)`
  // add the subclass's private field to `o` itself.
  class Base {
    constructor(target: object) {
      return target;
    }
  }
  class Stamped extends Base {
    #value: V;
    constructor(target: object, value: V) {
      super(target);
      this.#value = value;
    }
    static has(target: object): target is Stamped {
      return #value in target;
    }
    static read(target: Stamped): V {
      return target.#value;
    }
    static write(target: Stamped, value: V): void {
      target.#value = value;
    }
  }
  return {
    set(target, value) {
      if (Stamped.has(target)) Stamped.write(target, value);
      // Extensibility does not bind private fields, but an object frozen by its owner is not ours to mark.
      else if (Object.isExtensible(target)) new Stamped(target, value);
    },
    get(target) {
      return typeof target === 'object' && target !== null && Stamped.has(target) ? Stamped.read(target) : undefined;
    },
  };
}
