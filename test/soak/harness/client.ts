import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

/** A request the soak sent, as it ended. */
export interface Sent {
  kind: string;
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  ms: number;
  /** We abandoned it on purpose. */
  abandoned: boolean;
  /** Still open at the hard limit. */
  hung: boolean;
  error?: string;
}

/**
 * Sends one chat request over `agent` and reads its answer whole; abandons it when asked (a caller that
 * leaves), and gives up on it at `hardLimitMs` (it hung: a violation).
 */
export function send(
  agent: Agent,
  url: URL,
  payload: string,
  o: { abandonAfterMs?: number | undefined; abandonAfterFirstChunk?: boolean; hardLimitMs: number },
): Promise<Omit<Sent, 'kind'>> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let body = '';
    let status: number | undefined;
    let headers: IncomingHttpHeaders | undefined;
    let settled = false;
    const done = (extra: Partial<Sent>) => {
      if (settled) return;
      settled = true;
      clearTimeout(hard);
      clearTimeout(abandon);
      resolve({ body, ms: performance.now() - t0, abandoned: false, hung: false, ...(status !== undefined ? { status } : {}), ...(headers ? { headers } : {}), ...extra });
    };
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        status = res.statusCode;
        headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (o.abandonAfterFirstChunk) {
            req.destroy();
            done({ abandoned: true });
          }
        });
        res.on('end', () => done({}));
        res.on('error', (e) => done({ error: e.message }));
        res.on('close', () => done(res.complete ? {} : { error: 'response closed before its end' }));
      },
    );
    req.on('error', (e) => done({ error: e.message }));
    const hard = setTimeout(() => {
      req.destroy();
      done({ hung: true });
    }, o.hardLimitMs);
    const abandon =
      o.abandonAfterMs !== undefined
        ? setTimeout(() => {
            req.destroy();
            done({ abandoned: true });
          }, o.abandonAfterMs)
        : undefined;
    req.end(payload);
  });
}
