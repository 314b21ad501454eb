import http from 'node:http';
import autocannon from 'autocannon';

export type HttpRun = {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Errors, timeouts and answers other than the expected status. */
  failures: number;
  cpuPerRequestUs?: number;
};

export type LoadOptions = {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: object;
  /** A body per request, in turn (for many tokens). */
  bodies?: () => object;
  expectStatus?: number;
  connections: number;
  duration: number;
};

/** `bodies` for `httpLoad`: the given ones in turn, forever. */
export function rotating(list: object[]): () => object {
  let i = 0;
  return () => list[i++ % list.length]!;
}

/** autocannon against 127.0.0.1, bounded in time; a preflight request must answer the expected status first. */
export async function httpLoad(name: string, options: LoadOptions): Promise<HttpRun> {
  const expectStatus = options.expectStatus ?? 200;
  const headers = { ...(options.body || options.bodies ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const first = options.bodies?.() ?? options.body;
  const preflight = await fetch(options.url, { method: options.method, headers, body: first ? JSON.stringify(first) : undefined });
  if (preflight.status !== expectStatus) throw new Error(`${name}: preflight answered ${preflight.status} ${await preflight.text()}`);
  let unexpected = 0;
  const result = await autocannon({
    url: options.url,
    method: options.method,
    headers,
    connections: options.connections,
    duration: options.duration,
    ...(options.bodies
      ? { requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify(options.bodies!()) }) }] }
      : options.body
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  // autocannon's non2xx counts 201 as fine; anything but the expected status is a failure here.
  for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) if (Number(code) !== expectStatus) unexpected += count.count ?? 0;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + unexpected,
  };
}

export type Latency = { name: string; count: number; p50: number; p99: number; max: number };

/**
 * One request at a time, `count` times, each timed (ms, to the microsecond): latency without
 * queueing behind other connections, at a resolution autocannon's whole milliseconds lack.
 */
export async function sequentialLatency(name: string, options: Omit<LoadOptions, 'connections' | 'duration'>, count: number): Promise<Latency> {
  const headers = { ...(options.body || options.bodies ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const times: number[] = [];
  for (let i = 0; i < count + 50; i++) {
    const body = options.bodies?.() ?? options.body;
    const start = performance.now();
    const response = await fetch(options.url, { method: options.method, headers, body: body ? JSON.stringify(body) : undefined });
    await response.arrayBuffer();
    if (response.status !== (options.expectStatus ?? 200)) throw new Error(`${name}: answered ${response.status}`);
    if (i >= 50) times.push(performance.now() - start); // the first 50 warm up
  }
  times.sort((a, b) => a - b);
  return { name, count, p50: times[count >> 1]!, p99: times[Math.floor(count * 0.99)]!, max: times[count - 1]! };
}

export type Flood = { stop(): Promise<{ requests: number; byStatus: Record<string, number> }> };

/**
 * Requests from another client address (`localAddress`, e.g. 127.0.0.2) as fast as `concurrency`
 * connections allow, until stopped: a hostile client beside the measured one.
 */
export function backgroundFlood(url: string, options: { localAddress: string; concurrency: number; headers: () => Record<string, string> }): Flood {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = http.request(url, { agent, localAddress: options.localAddress, headers: options.headers() }, (res) => {
        byStatus[String(res.statusCode)] = (byStatus[String(res.statusCode)] ?? 0) + 1;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => {
        byStatus.error = (byStatus.error ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  const workers = Array.from({ length: options.concurrency }, async () => {
    while (running) {
      await once();
      requests += 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return { requests, byStatus };
    },
  };
}
