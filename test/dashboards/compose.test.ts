import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkConfigFile } from '../../src/config/load.js';
import { parseFaultSpec } from '../../src/simulator/faults.js';
import { readText, readYaml, repoPath, ROOT, runOk } from './helpers.js';

/*
 * docker-compose.yml, checked without a Docker engine: the file is valid for docker-compose 1.29, every file
 * it mounts exists and passes its own checker, and the services agree with each other (ports, hostnames,
 * uids, paths).
 */

interface Volume {
  type?: string;
  source?: string;
  target?: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string>;
  volumes?: (string | Volume)[];
  ports?: (string | { published: number; target: number })[];
  depends_on?: Record<string, { condition: string }> | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The compose file as docker-compose itself resolves it (paths absolute, variables substituted). */
function resolvedCompose(): Compose {
  runOk('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
  return parse(runOk('docker-compose', ['-f', 'docker-compose.yml', 'config']).stdout) as Compose;
}

/** Bind mounts of a service: host path (absolute) -> container path. Named volumes are left out. */
function bindMounts(svc: Service): { host: string; container: string }[] {
  return (svc.volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const [host, container] = v.split(':');
      if (!host || !container || !(host.startsWith('/') || host.startsWith('.'))) return [];
      return [{ host: resolve(ROOT, host), container }];
    }
    if (v.type && v.type !== 'bind') return [];
    return v.source && v.target ? [{ host: resolve(ROOT, v.source), container: v.target }] : [];
  });
}

/** Where a container path of a service comes from on the host (through its bind mounts), or undefined. */
function hostPathOf(svc: Service, containerPath: string): string | undefined {
  for (const m of bindMounts(svc)) {
    if (containerPath === m.container) return m.host;
    if (containerPath.startsWith(m.container.replace(/\/$/, '') + '/')) return join(m.host, containerPath.slice(m.container.replace(/\/$/, '').length + 1));
  }
  return undefined;
}

const argv = (v: string[] | string | undefined): string[] => (Array.isArray(v) ? v : v ? v.split(/\s+/) : []);
const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
};
const hostPort = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
};

describe('docker-compose.yml', () => {
  // Resolved once, in a hook: a missing docker-compose fails every test here with how to install it.
  let compose: Compose;
  beforeAll(() => {
    compose = resolvedCompose();
  });
  const svc = (name: string): Service => {
    const s = compose.services[name];
    if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
    return s;
  };

  it('is valid for docker-compose 1.29 (docker-compose config -q) and avoids what 1.29 rejects', () => {
    const raw = parse(readText('docker-compose.yml')) as Record<string, unknown>;
    for (const key of ['name', 'include', 'version']) expect(raw, `top-level ${key}`).not.toHaveProperty(key);
    for (const [name, s] of Object.entries(raw.services as Record<string, { healthcheck?: object }>)) {
      expect(s.healthcheck ?? {}, name).not.toHaveProperty('start_interval');
    }
  });

  it('runs the whole stack', () => {
    for (const name of ['gateway', 'gateway-2', 'redis', 'upstream-primary', 'upstream-fallback', 'prometheus', 'alertmanager', 'grafana', 'jaeger']) {
      expect(compose.services, name).toHaveProperty(name);
    }
  });

  it('mounts only files and folders that exist in the repository', () => {
    let count = 0;
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of bindMounts(s)) {
        count++;
        expect(existsSync(m.host), `${name}: ${relative(ROOT, m.host)}`).toBe(true);
        expect(relative(ROOT, m.host).startsWith('..'), `${name}: ${m.host} is inside the repository`).toBe(false);
      }
    }
    expect(count).toBeGreaterThanOrEqual(6);
  });

  it('publishes ports on the host loopback only (Grafana runs with anonymous admin)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) {
        const text = typeof p === 'string' ? p : JSON.stringify(p);
        expect(text, name).toMatch(/^127\.0\.0\.1:|"host_ip":"127\.0\.0\.1"/);
      }
    }
  });

  it('builds the gateway from the Dockerfile and serves the mounted compose config, which `switchyard check` accepts', async () => {
    const gw = svc('gateway');
    expect(gw.build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(existsSync(join(gw.build!.context, gw.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
    const args = argv(gw.command);
    expect(args[0]).toBe('serve');
    const configPath = flag(args, '--config');
    expect(configPath).toBe('/config/switchyard.compose.yaml');
    const host = hostPathOf(gw, configPath!);
    expect(host && relative(ROOT, host)).toBe(join('dashboards', 'compose', 'switchyard.compose.yaml'));
    const result = await checkConfigFile(host!, { env: { ...gw.environment } });
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(gw.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    expect(gw.ports).toEqual(expect.arrayContaining([expect.stringMatching(/:8080:8080(\/tcp)?$/)]));
  });

  it('points the gateway at the simulated upstreams, whose fault files the simulator accepts', async () => {
    const gw = svc('gateway');
    const result = await checkConfigFile(hostPathOf(gw, '/config/switchyard.compose.yaml')!, { env: { ...gw.environment } });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const cfg = result.config;
    expect(cfg.server?.host).toBe('0.0.0.0');
    expect(cfg.server?.port).toBe(8080);
    expect(cfg.routes.chat?.endpoints).toEqual(['primary', 'fallback']);
    for (const [endpoint, service] of [
      ['primary', 'upstream-primary'],
      ['fallback', 'upstream-fallback'],
    ] as const) {
      const up = svc(service);
      expect(up.image).toBe(svc('gateway').image);
      const args = argv(up.command);
      expect(args[0]).toBe('simulate');
      expect(flag(args, '--host')).toBe('0.0.0.0');
      const port = Number(flag(args, '--port'));
      const provider = cfg.providers[cfg.endpoints[endpoint]!.provider]!;
      expect(hostPort(provider.baseURL), endpoint).toEqual({ host: service, port });
      expect(new URL(provider.baseURL).pathname).toBe('/v1');
      const faults = hostPathOf(up, flag(args, '--faults')!);
      expect(faults && existsSync(faults), `${service}: fault file`).toBe(true);
      expect(() => parseFaultSpec(JSON.parse(readFileSync(faults!, 'utf8')))).not.toThrow();
    }
  });

  it('runs Prometheus on the shipped config with exemplar storage, scraping the gateway service', () => {
    const prom = svc('prometheus');
    const args = argv(prom.command);
    expect(args).toContain('--enable-feature=exemplar-storage');
    const config = hostPathOf(prom, flag(args, '--config.file')!);
    expect(config && relative(ROOT, config)).toBe(join('dashboards', 'prometheus', 'prometheus.yml'));
    // The rule files, resolved the way Prometheus does (relative to the config file), are in the mount.
    const cfg = readYaml<{ rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>('dashboards/prometheus/prometheus.yml');
    for (const f of cfg.rule_files) expect(existsSync(isAbsolute(f) ? f : join(config!, '..', f)), f).toBe(true);
    const target = cfg.scrape_configs.find((s) => s.job_name === 'switchyard')!.static_configs[0]!.targets[0]!;
    const [host, port] = target.split(':');
    expect(compose.services).toHaveProperty(host!);
    expect(Number(port)).toBe(8080);
  });

  it('runs Alertmanager on the shipped config', () => {
    const am = svc('alertmanager');
    const config = hostPathOf(am, flag(argv(am.command), '--config.file')!);
    expect(config && relative(ROOT, config)).toBe(join('dashboards', 'alertmanager', 'alertmanager.yml'));
  });

  it('provisions Grafana: datasources pointing at compose services, and the dashboards folder', () => {
    const g = svc('grafana');
    const provisioning = hostPathOf(g, '/etc/grafana/provisioning');
    expect(provisioning && relative(ROOT, provisioning)).toBe(join('dashboards', 'grafana', 'provisioning'));
    const ds = readYaml<{ datasources: { uid: string; type: string; url: string; jsonData?: { exemplarTraceIdDestinations?: { datasourceUid: string }[] } }[] }>(
      'dashboards/grafana/provisioning/datasources/prometheus.yml',
    ).datasources;
    const uids = ds.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of ds) {
      const { host } = hostPort(d.url);
      expect(compose.services, `${d.uid} -> ${d.url}`).toHaveProperty(host);
    }
    expect(ds.map((d) => d.type)).toEqual(expect.arrayContaining(['prometheus', 'jaeger']));
    for (const d of ds) for (const e of d.jsonData?.exemplarTraceIdDestinations ?? []) expect(uids).toContain(e.datasourceUid);

    const providers = readYaml<{ providers: { type: string; options: { path: string } }[] }>('dashboards/grafana/provisioning/dashboards/switchyard.yml').providers;
    for (const p of providers) {
      expect(p.type).toBe('file');
      const host = hostPathOf(g, p.options.path);
      expect(host && relative(ROOT, host), p.options.path).toBe(join('dashboards', 'grafana'));
      expect(statSync(host!).isDirectory()).toBe(true);
      expect(existsSync(join(host!, 'switchyard.json'))).toBe(true);
    }
    const home = g.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home) expect(existsSync(hostPathOf(g, home) ?? '')).toBe(true);
  });

  it('runs two gateway replicas on the same config, sharing circuit state through the redis service', async () => {
    const [a, b] = [svc('gateway'), svc('gateway-2')];
    expect(argv(b.command)).toEqual(argv(a.command));
    expect(bindMounts(b)).toEqual(bindMounts(a));
    expect(b.ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:8081:8080(\/tcp)?$/)]);
    const result = await checkConfigFile(hostPathOf(a, '/config/switchyard.compose.yaml')!, { env: { ...a.environment } });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.state.store).toBe('redis');
    const url = new URL(result.config.state.url);
    expect([url.hostname, Number(url.port || 6379)]).toEqual(['redis', 6379]);
    const redis = svc('redis');
    expect(redis.image).toMatch(/^(redis|valkey\/valkey):/);
    for (const g of [a, b]) expect(g.depends_on).toHaveProperty('redis');
    const targets = readYaml<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>('dashboards/prometheus/prometheus.yml')
      .scrape_configs.find((s) => s.job_name === 'switchyard')!.static_configs.flatMap((c) => c.targets);
    expect(targets).toEqual(['gateway:8080', 'gateway-2:8080']);
  });

  it('runs Jaeger with OTLP', () => {
    expect(svc('jaeger').image).toMatch(/^jaegertracing\/all-in-one:/);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readText('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('builds on node:20-slim with npm ci, npm run build and npm prune --omit=dev', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).every((l) => /^FROM node:20-slim\b/.test(l))).toBe(true);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\b/);
    expect(dockerfile).toMatch(/npm prune --omit=dev\b/);
  });

  it('runs as a non-root user the CLI the package declares', () => {
    const users = instructions.filter((l) => l.startsWith('USER '));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER (root|0)(:|$)/);
    const pkg = JSON.parse(readText('package.json')) as { bin: Record<string, string> };
    const entry = instructions.find((l) => l.startsWith('ENTRYPOINT '))!;
    expect(JSON.parse(entry.slice('ENTRYPOINT '.length))).toEqual(['node', pkg.bin.switchyard!.replace(/^\.\//, '')]);
    const cmd = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(cmd[0]).toBe('serve');
  });

  it('keeps node_modules, dist and .git out of the build context', () => {
    const ignored = readText('.dockerignore').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored).toContain(p);
  });

  it('copies what the build needs', () => {
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) {
      expect(existsSync(repoPath(f)), f).toBe(true);
      expect(dockerfile, f).toContain(f);
    }
  });
});
