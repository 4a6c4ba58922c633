// A real edge-platform for the browser tests: a temp data dir, loopback port-0 listeners, test hooks and the
// local cloud driver running the real edge-connector, an org with an admin token, and console links.
// stop() kills the platform and every connector process it started (they run in their own session).
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ORG = 'org_acme';

function requiredEnv(name, fix) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${fix}`);
  return value;
}
export const platformBin = () => requiredEnv('EDGE_PLATFORM_BIN', 'run the suite through ctest (tests/browser/README.md)');
export const connectorBin = () => requiredEnv('EDGE_CONNECTOR_BIN', 'run the suite through ctest (tests/browser/README.md)');

// Fast heartbeats and retries for every cloud instance (as tests/integration/e2e/cloud_fixture.h).
const CLOUD_CONFIG = {
  healthHost: '127.0.0.1', heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1500, reconnectInitialMs: 100,
  reconnectMaxMs: 500, stablePeriodMs: 1000, slowBackoffInitialMs: 500, slowBackoffMaxMs: 1000,
  connectTimeoutMs: 3000, drainGraceMs: 2000, bundleRetryInitialMs: 200, bundleRetryMaxMs: 1000,
};

// Runs a program to completion (bounded); resolves {code, stdout, stderr}.
export function run(file, args, { timeoutMs = 30000, env } = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: env ?? process.env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// The pids whose command line contains `needle` (as cloud_fixture.h's /proc scan).
async function processesWith(needle) {
  const pids = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle) && Number(name) !== process.pid) pids.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return pids;
}

export class Platform {
  // flags: extra `serve` flags, e.g. ['--cloud-start-timeout-ms', '2000'] or ['--device-code-ttl', '3s'].
  static async start(flags = []) {
    const p = new Platform();
    await p.#start(flags);
    return p;
  }

  async #start(flags) {
    this.root = await mkdtemp(path.join(tmpdir(), 'edge-browser-'));
    this.data = path.join(this.root, 'data');
    this.logPath = path.join(this.root, 'platform.log');
    const configPath = path.join(this.root, 'cloud-connector.json');
    await writeFile(configPath, JSON.stringify(CLOUD_CONFIG));
    const has = (flag) => flags.some((f) => f === flag || f.startsWith(flag + '='));
    const args = ['serve', '--data-dir', this.data, '--api-listen', '127.0.0.1:0', '--rpc-listen', '127.0.0.1:0',
      '--heartbeat-interval-ms', '200', '--heartbeat-timeout-ms', '1500', '--enable-test-hooks',
      '--cloud-connector-bin', connectorBin(), '--cloud-connector-config', configPath,
      '--cloud-provision-timeout-ms', '10000', '--cloud-stop-timeout-ms', '30000',
      '--cloud-restart-initial-ms', '200', '--cloud-restart-max-ms', '1000', '--cloud-stop-on-exit'];
    // Generous by default so a loaded machine never turns a normal start stuck; the stuck test shortens it.
    if (!has('--cloud-start-timeout-ms')) args.push('--cloud-start-timeout-ms', '30000');
    args.push(...flags);
    const log = createWriteStream(this.logPath);
    this.proc = spawn(platformBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    // Should node exit without stop() (a runner timeout), the platform must not outlive it.
    const orphan = () => { try { this.proc.kill('SIGKILL'); } catch { /* gone */ } };
    process.once('exit', orphan);
    this.proc.once('exit', () => process.off('exit', orphan));
    let out = '';
    this.proc.stdout.on('data', (d) => { out += d; log.write(d); });
    this.proc.stderr.on('data', (d) => log.write(d));
    const deadline = Date.now() + 20000;
    while (!out.includes('edge-platform listening ')) {
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`edge-platform did not start (exit ${this.proc.exitCode}):\n${await this.logTail()}`);
      }
      await sleep(50);
    }
    // The bound URLs, as the platform announces them to `admin console-link`.
    const announced = JSON.parse(await readFile(path.join(this.data, 'platform.json'), 'utf8'));
    this.apiUrl = announced.apiUrl;
    this.rpcUrl = announced.rpcUrl;
    this.origin = new URL(this.apiUrl).origin;
    await this.adminOk(['create-org', '--name', 'Acme', '--id', ORG]);
    this.token = (await this.adminOk(['issue-token', '--org', ORG, '--role', 'admin', '--ttl', '3600'])).trim();
  }

  // `edge-platform admin --data-dir D <args>`; its stdout, or a thrown error naming the output.
  async adminOk(args) {
    const r = await run(platformBin(), ['admin', '--data-dir', this.data, ...args]);
    if (r.code !== 0) throw new Error(`edge-platform admin ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  // A fresh one-time sign-in link for the org.
  async consoleLink(subject = 'alice') {
    const out = await this.adminOk(['console-link', '--org', ORG, '--subject', subject, '--json']);
    return JSON.parse(out).url;
  }

  // A REST call with the admin Bearer token (never through the browser): {status, body}.
  async api(method, route, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.apiUrl + route, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000),
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, text, json };
  }

  async deployments() {
    const r = await this.api('GET', '/api/v1/deployments');
    if (r.status !== 200) throw new Error(`GET /api/v1/deployments: ${r.status} ${r.text}`);
    return r.json.deployments;
  }

  async logTail(lines = 60) {
    try {
      return (await readFile(this.logPath, 'utf8')).split('\n').slice(-lines).join('\n');
    } catch {
      return '(no platform log)';
    }
  }

  // Stops the platform (SIGTERM, then SIGKILL after 15 s), then SIGKILLs every leftover connector process.
  async stop({ keep = false } = {}) {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const done = await Promise.race([this.exited, sleep(15000, 'timeout')]);
      if (done === 'timeout') {
        this.proc.kill('SIGKILL');
        await Promise.race([this.exited, sleep(5000)]);
      }
    }
    if (this.data) {
      const deadline = Date.now() + 10000;
      for (;;) {
        const left = await processesWith(path.join(this.data, 'cloud') + '/');
        for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
        if (left.length === 0 || Date.now() > deadline) break;
        await sleep(50);
      }
    }
    if (this.root && !keep) await rm(this.root, { recursive: true, force: true });
  }
}
