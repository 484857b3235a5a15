/**
 * `/-/metrics`: the proxy's counters in the Prometheus text format
 * (prom-client, on a registry of its own: nothing global is touched).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "pyprov_serve_requests_total",
    help: "HTTP requests answered, by route and status",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });
  readonly verdicts = new Counter({
    name: "pyprov_serve_verdicts_total",
    help: "Verdicts reached (not remembered), by outcome: pass, fail, unattested, error",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly blocked = new Counter({
    name: "pyprov_serve_blocked_files_total",
    help: "Files left off a page (enforce) or that enforce would leave off (audit), per decision",
    registers: [this.registry],
  });
  readonly cache = new Counter({
    name: "pyprov_serve_cache_total",
    help: "Cache lookups by cache (page, verdict, file) and result (hit, miss; verdicts: shared-hit from the state store)",
    labelNames: ["cache", "result"] as const,
    registers: [this.registry],
  });
  readonly upstream = new Histogram({
    name: "pyprov_serve_upstream_seconds",
    help: "Upstream request latency by kind (page, file, metadata), retries included",
    labelNames: ["kind", "result"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: "pyprov_serve_bytes_served_total",
    help: "File and metadata bytes sent to clients",
    registers: [this.registry],
  });
  readonly tampering = new Counter({
    name: "pyprov_serve_tampering_total",
    help: "Bytes that did not match a verified digest, by where (upstream, cache)",
    labelNames: ["where"] as const,
    registers: [this.registry],
  });
  readonly queued = new Gauge({
    name: "pyprov_serve_decision_rows_queued",
    help: "Decision-log rows waiting on local disk for the state store",
    registers: [this.registry],
  });
  readonly degraded = new Gauge({
    name: "pyprov_serve_state_degraded",
    help: "1 while the shared state store cannot be reached",
    registers: [this.registry],
  });

  /** Time an upstream call into the histogram. */
  async time<T>(kind: string, f: () => Promise<T>): Promise<T> {
    const end = this.upstream.startTimer({ kind });
    try {
      const v = await f();
      end({ result: "ok" });
      return v;
    } catch (err) {
      end({ result: "error" });
      throw err;
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
