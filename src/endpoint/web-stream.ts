import { APIConnectionError } from 'openai';
import { eventStream, type StreamLimits } from './native-stream.js';
import type { Cancellation, ChunkStream } from './transport.js';

/**
 * A 2xx event stream read from a fetch body (the `sdk` transport's), through the same parser, limits and
 * flow control as the native transport's: the body is read only while the reader keeps up, so a reader that
 * stops reading stops the reads from the provider.
 */
export function webEventStream(body: ReadableStream<Uint8Array>, abort: Cancellation, limits: StreamLimits): ChunkStream {
  const reader = body.getReader();
  let paused = false;
  let resumed: (() => void) | undefined;
  let cut = false;
  const flow = {
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      const r = resumed;
      resumed = undefined;
      r?.();
    },
  };
  const { stream, sink } = eventStream(abort, flow, () => {
    if (cut) return;
    cut = true;
    flow.resume();
    void reader.cancel().catch(() => undefined);
  }, limits);
  void (async () => {
    try {
      for (;;) {
        if (paused) await new Promise<void>((r) => (resumed = r));
        if (cut) return;
        const read = await reader.read();
        if (read.done) return sink.end();
        sink.data(read.value);
      }
    } catch (e) {
      // The fetch body's failure (a reset, an abort) as the SDK's class, as the native transport reports it.
      sink.error(cut || abort.aborted ? (e as Error) : new APIConnectionError({ cause: e as Error }));
    }
  })();
  return stream;
}
