/** Reads a stream to its end: the items it gave, and the error it ended with, if any. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<{ got: unknown[]; error?: unknown }> {
  const got: unknown[] = [];
  try {
    for await (const c of stream) got.push(c);
  } catch (e) {
    return { got, error: e };
  }
  return { got };
}
