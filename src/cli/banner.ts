import type { Served } from './serve.js';

/** What a newcomer needs to try the gateway right away. Keys are referred to by variable, never printed. */
export function bannerLines(s: Pick<Served, 'url' | 'mode' | 'configPath' | 'config' | 'demo'>): string[] {
  const server = s.config.server!;
  const route = Object.keys(s.config.routes)[0] ?? Object.keys(s.config.endpoints)[0] ?? 'chat';
  const auth = server.apiKeys.length ? ` -H "authorization: Bearer $SWITCHYARD_API_KEY"` : '';
  const admin = server.adminKey ? ` -H "authorization: Bearer $SWITCHYARD_ADMIN_KEY"` : '';
  const source =
    s.mode === 'config' ? `config ${s.configPath}` : s.mode === 'openai' ? 'OpenAI (OPENAI_API_KEY), route "chat": gpt-4o -> gpt-4o-mini' : 'built-in demo';
  const body = JSON.stringify({ model: route, messages: [{ role: 'user', content: 'Hello!' }] });
  const lines = [
    '',
    `Switchyard gateway listening on ${s.url} (${source})`,
    ...(s.demo ? s.demo.describe().map((l) => `  ${l}`) : []),
    '',
    '  try it:',
    `    curl -s ${s.url}/v1/chat/completions -H 'content-type: application/json'${auth} -d '${body}' -i`,
    `    (add "stream": true for SSE; x-switchyard-endpoint tells who answered)`,
    `  routes and health:  ${s.url}/v1/models`,
    `  circuits:           curl -s ${s.url}/admin/circuits${admin}`,
    server.adminKey
      ? `  force a circuit:    curl -s -X POST ${s.url}/admin/circuits/<endpoint>/open${admin}   (then /close or /reset)`
      : '  force a circuit:    set SWITCHYARD_ADMIN_KEY (or server.adminKey) to enable POST /admin/circuits/<endpoint>/open|close|reset',
    `  metrics:            ${s.url}/metrics      readiness: ${s.url}/readyz`,
    '',
  ];
  return lines;
}
