import { describe, expect, it, vi } from 'vitest';
import { CancelSource } from '../../src/endpoint/cancellation.js';

describe('CancelSource', () => {
  it('offAbort drops a callback: cancel() no longer calls it, and the others still run', () => {
    const s = new CancelSource();
    const dropped = vi.fn();
    const kept = vi.fn();
    s.onAbort(dropped);
    s.onAbort(kept);
    s.offAbort(dropped);
    s.offAbort(dropped);
    s.cancel();
    expect(dropped).not.toHaveBeenCalled();
    expect(kept).toHaveBeenCalledOnce();
  });

  it('offAbort of a callback never added, or after the end, changes nothing', () => {
    const s = new CancelSource();
    const fn = vi.fn();
    s.offAbort(fn);
    s.onAbort(fn);
    s.cancel();
    s.offAbort(fn);
    expect(fn).toHaveBeenCalledOnce();
  });
});
