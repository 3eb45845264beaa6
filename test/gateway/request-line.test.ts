import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, plainFormatOf } from '../../src/gateway/logging.js';
import { formatRequestLine, requestLines, type RequestLineFields } from '../../src/gateway/request-line.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

const full: RequestLineFields = {
  method: 'POST',
  path: '/v1/chat/completions',
  status: 502,
  route: 'chat',
  endpoint: 'gpt-4o',
  attempts: 3,
  outcome: 'failed',
  stream: 'interrupted',
  code: 'all_attempts_failed',
  durationMs: 1234,
};

const cases: [string, RequestLineFields][] = [
  ['every field', full],
  ['a closed-early request with no router call', { ...full, status: undefined, route: undefined, endpoint: undefined, attempts: undefined, outcome: 'cancelled', stream: undefined, code: undefined, durationMs: 0 }],
  ['a path that needs escaping', { ...full, path: '/a"b\\c\u0001é\u2028', route: 'r"oute' }],
];

describe('request line', () => {
  it.each(cases)('is formatted exactly as pino writes it for a createLogger logger: %s', (_name, fields) => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, level: 'debug' });
    // pino's own rendering, through the unredacted child the request lines used to go through.
    logger.child({}, { redact: { paths: [], censor: '[redacted]' } }).info(fields, 'request');
    const viaPino = out.lines[0]!;
    const time = Number(/"time":(\d+)/.exec(viaPino)![1]);
    expect(formatRequestLine('info', fields, plainFormatOf(logger)!, time)).toBe(viaPino);
    expect(JSON.parse(viaPino)).toMatchObject({ level: 30, msg: 'request', pid: process.pid, name: 'switchyard' });
  });

  it('goes to the logger’s destination at its level, and not at all below it', () => {
    const out = capture();
    const lines = requestLines(createLogger({ destination: out.destination, level: 'info' }));
    lines.write('debug', full);
    expect(out.lines).toEqual([]);
    lines.write('info', full);
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 30, path: '/v1/chat/completions', code: 'all_attempts_failed', msg: 'request' });
  });

  it('goes through pino, with that logger’s own options, for a logger createLogger did not make', () => {
    const out = capture();
    const lines = requestLines(pino({ messageKey: 'message', base: { service: 'mine' } }, out.destination));
    lines.write('info', full);
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ message: 'request', service: 'mine', route: 'chat' });
    expect(plainFormatOf(pino())).toBeUndefined();
  });
});
