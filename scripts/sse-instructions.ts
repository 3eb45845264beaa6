/*
 * Instructions to parse a chat stream, the hand-made parser (src/endpoint/sse.ts) against eventsource-parser
 * 3.x, each doing the whole job: bytes in, UTF-8 decoding, lines and events, JSON.parse of each event. Counted
 * by callgrind (valgrind) as a difference: the same script parsing STREAMS streams minus parsing none, divided
 * by STREAMS. The numbers in docs/design.md come from it.
 *
 *   npm install --no-save eventsource-parser@3
 *   for m in none ours scrub esp; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$m node --import tsx scripts/sse-instructions.ts $m; done
 *   callgrind_annotate /tmp/cg.<m> | head   (the "PROGRAM TOTALS" line)
 */
import { createAnswerScrubber } from '../src/endpoint/answer-scrub.js';
import { SseParser } from '../src/endpoint/sse.js';

const mode = process.argv[2] ?? 'ours';
const STREAMS = Number(process.argv[3] ?? 4000);

// A realistic stream: 40 content chunks of an OpenAI chat completion, a finish chunk, [DONE]; sent in reads
// that cut events anywhere (as TCP does), 3 events a read on average.
const event = (i: number, finish: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012',
    object: 'chat.completion.chunk',
    created: 1732400000,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_0123456789',
    choices: [{ index: 0, delta: { content: finish ? undefined : ` word${i} and ünïcode` }, logprobs: null, finish_reason: finish }],
  })}\n\n`;
const text = Array.from({ length: 40 }, (_, i) => event(i, null)).join('') + event(40, 'stop') + 'data: [DONE]\n\n';
const bytes = Buffer.from(text);
const reads: Buffer[] = [];
for (let at = 0, k = 0; at < bytes.length; k++) {
  const size = 500 + ((k * 337) % 900);
  reads.push(bytes.subarray(at, at + size));
  at += size;
}

let sink = 0;
// `scrub`: the hand-made parser with the answer scrubber of three configured keys (answer-scrub.ts).
const scrubber = createAnswerScrubber(['sk-proj-Q7vX2mLk9RtB4wYzN8cF1hJ6pD3s', '5f0c9a7e21d84b6fa3c2e18d7b9046ae', 'sy-client-Hq8ZkP2vNw6Rt4Lm']);
function ours(): void {
  const p = new SseParser<{ choices: unknown[] }>(Number.POSITIVE_INFINITY, undefined, mode === 'scrub' ? scrubber : undefined);
  for (const r of reads) p.push(r, (e) => void (sink += e.kind === 'chunk' ? e.value.choices.length : 1));
}

const TEXT = Symbol('text');
type Esp = typeof import('eventsource-parser');
let esp: Esp | undefined;
function theirs(): void {
  const decoder = new TextDecoder();
  let done = false;
  const parser = esp!.createParser({
    onEvent(e) {
      if (done) return;
      if (e.data.startsWith('[DONE]')) {
        done = true;
        sink++;
        return;
      }
      // As the hand-made one does: an error event throws, the provider's text is kept on the chunk.
      const value = JSON.parse(e.data) as { choices: unknown[]; error?: unknown };
      if (value.error) throw new Error('error event');
      Object.defineProperty(value, TEXT, { value: e.data });
      sink += value.choices.length;
    },
  });
  for (const r of reads) parser.feed(decoder.decode(r, { stream: true }));
}

if (mode === 'esp') esp = await import('eventsource-parser');
const run = mode === 'ours' || mode === 'scrub' ? ours : mode === 'esp' ? theirs : () => undefined;
for (let i = 0; i < STREAMS; i++) run();
process.stdout.write(`${mode} ${STREAMS} ${sink}\n`);
