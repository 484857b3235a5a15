/**
 * A real TUF repository (TUF 1.0 metadata, one Ed25519 key for all four
 * roles) publishing one trusted_root.json, served over HTTP on 127.0.0.1.
 * Used by the trust-root update tests and by the benchmark that runs
 * sigstore-js against a warm TUF cache.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { canonicalJson } from "./sigstore/index.js";

const EXPIRES = "2099-01-01T00:00:00Z";

/** A one-key TUF repository (all four roles) publishing trusted_root.json. */
export class TufRepo {
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject } =
    generateKeyPairSync("ed25519");
  readonly keyid: string;
  readonly files = new Map<string, Buffer>();
  private server: Server | undefined;
  url = "";

  constructor(target: Buffer) {
    const raw = this.key.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const keyJson = {
      keytype: "ed25519",
      scheme: "ed25519",
      keyval: { public: raw.toString("hex") },
    };
    this.keyid = createHash("sha256").update(canonicalJson(keyJson)).digest("hex");
    const role = { keyids: [this.keyid], threshold: 1 };
    this.put("1.root.json", {
      _type: "root",
      spec_version: "1.0.31",
      version: 1,
      expires: EXPIRES,
      keys: { [this.keyid]: keyJson },
      roles: { root: role, snapshot: role, targets: role, timestamp: role },
      consistent_snapshot: false,
    });
    this.publish(target);
  }

  /** (Re)publish the target with fresh targets/snapshot/timestamp metadata. */
  publish(target: Buffer, hashOf = target, version = 1): void {
    this.files.set("targets/trusted_root.json", target);
    const hash = createHash("sha256").update(hashOf).digest("hex");
    const common = { spec_version: "1.0.31", version, expires: EXPIRES };
    this.put("targets.json", {
      _type: "targets",
      ...common,
      targets: { "trusted_root.json": { length: hashOf.length, hashes: { sha256: hash } } },
    });
    this.put("snapshot.json", {
      _type: "snapshot",
      ...common,
      meta: { "targets.json": { version } },
    });
    this.put("timestamp.json", {
      _type: "timestamp",
      ...common,
      meta: { "snapshot.json": { version } },
    });
  }

  private put(name: string, signed: Record<string, unknown>): void {
    const sig = sign(null, Buffer.from(canonicalJson(signed)), this.key.privateKey).toString("hex");
    this.files.set(
      name,
      Buffer.from(JSON.stringify({ signed, signatures: [{ keyid: this.keyid, sig }] })),
    );
  }

  /** The root metadata (1.root.json): what a client starts from. */
  root(): Buffer {
    return this.files.get("1.root.json")!;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const body = this.files.get((req.url ?? "/").replace(/^\/+/, ""));
      res.writeHead(body ? 200 : 404).end(body ?? "not found");
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
