/**
 * In-memory Rekor logs producing TransparencyLogEntry objects in protobuf-JSON
 * form: a v1-style log (ECDSA P-256, signed entry timestamps, sharded log
 * indices, "<host> - <treeID>" checkpoints) and a v2-style tile log (Ed25519,
 * no integrated time, checkpoints named by the host, C2SP note key IDs).
 */
import { randomBytes } from "node:crypto";
import { canonicalJson } from "./bodies.js";
import type { KindVersion } from "./bodies.js";
import { generateKey, rawEd25519, sha256, signWith } from "./keys.js";
import type { Bytes, KeyPair } from "./keys.js";
import { MerkleTree } from "./merkle.js";

export interface InclusionProofJSON {
  logIndex: string;
  rootHash: string;
  treeSize: string;
  hashes: string[];
  checkpoint: { envelope: string };
}

/** A Sigstore TransparencyLogEntry in protobuf-JSON form (bytes as standard base64). */
export interface TransparencyLogEntryJSON {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: KindVersion;
  integratedTime?: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof?: InclusionProofJSON;
  canonicalizedBody: string;
}

/** How the inclusion proof's own fields disagree with its (correctly signed) checkpoint. */
export type ProofTamper =
  /** inclusionProof.rootHash differs from the checkpoint's root. */
  | "rootHash"
  /** inclusionProof.treeSize differs from the checkpoint's size. */
  | "treeSize"
  /** The checkpoint signs a different root than the proof leads to. */
  | "checkpointRoot";

export interface AppendOptions {
  kindVersion: KindVersion;
  /** Sign the SET and checkpoint with this key instead of the log's own. */
  signer?: KeyPair;
  /** Compute the SET over this body instead of the entry's (v1). */
  setBody?: Bytes;
  proofTamper?: ProofTamper;
  omitInclusionPromise?: boolean;
  omitInclusionProof?: boolean;
  /** v2: leave integratedTime out instead of "0". */
  omitIntegratedTime?: boolean;
}

abstract class LogBase {
  readonly key: KeyPair;
  readonly tree = new MerkleTree();
  abstract readonly logId: Bytes;
  abstract readonly baseUrl: string;
  /** First line of every checkpoint. */
  abstract readonly origin: string;
  /** Name on checkpoint signature lines. */
  abstract readonly noteName: string;

  constructor(key: KeyPair, prefill: number) {
    this.key = key;
    for (let i = 0; i < prefill; i++) this.tree.appendHash(randomBytes(32));
  }

  /** A signed note checkpoint for (size, root). */
  checkpoint(size: number, root: Bytes, signer: KeyPair = this.key): string {
    const note = `${this.origin}\n${size}\n${root.toString("base64")}\n`;
    const sig = signWith(signer, Buffer.from(note, "utf8"));
    const hinted = Buffer.concat([this.logId.subarray(0, 4), sig]).toString("base64");
    return `${note}\n\u2014 ${this.noteName} ${hinted}\n`;
  }

  protected proof(index: number, o: AppendOptions): InclusionProofJSON {
    const size = this.tree.size;
    const root = this.tree.root(size);
    const cpRoot = o.proofTamper === "checkpointRoot" ? randomBytes(32) : root;
    return {
      logIndex: String(index),
      rootHash: (o.proofTamper === "rootHash" ? randomBytes(32) : root).toString("base64"),
      treeSize: String(o.proofTamper === "treeSize" ? size + 1 : size),
      hashes: this.tree.inclusionProof(index, size).map((h) => h.toString("base64")),
      checkpoint: { envelope: this.checkpoint(size, cpRoot, o.signer) },
    };
  }
}

export interface RekorV1Options {
  key?: KeyPair;
  host?: string;
  treeId?: string;
  /** Added to the tree index to give the entry's global logIndex (inactive shards). */
  shardOffset?: number;
  /** Filler entries appended first, so proofs are non-trivial. */
  prefill?: number;
}

export class RekorV1Log extends LogBase {
  readonly logId: Bytes;
  readonly baseUrl: string;
  readonly origin: string;
  readonly noteName: string;
  readonly shardOffset: number;

  constructor(o: RekorV1Options = {}) {
    super(o.key ?? generateKey("P-256"), o.prefill ?? 6);
    const host = o.host ?? "rekor.sigstore.test";
    this.logId = sha256(this.key.spki);
    this.baseUrl = `https://${host}`;
    this.origin = `${host} - ${o.treeId ?? "2605736670972794746"}`;
    this.noteName = host;
    this.shardOffset = o.shardOffset ?? 1_000_000;
  }

  append(body: Bytes, integratedTime: number, o: AppendOptions): TransparencyLogEntryJSON {
    const index = this.tree.append(body);
    const logIndex = index + this.shardOffset;
    const logIdHex = this.logId.toString("hex");
    const setPayload = canonicalJson({
      body: (o.setBody ?? body).toString("base64"),
      integratedTime,
      logID: logIdHex,
      logIndex,
    });
    const set = signWith(o.signer ?? this.key, Buffer.from(setPayload, "utf8"));
    return {
      logIndex: String(logIndex),
      logId: { keyId: this.logId.toString("base64") },
      kindVersion: o.kindVersion,
      integratedTime: String(integratedTime),
      ...(o.omitInclusionPromise
        ? {}
        : { inclusionPromise: { signedEntryTimestamp: set.toString("base64") } }),
      ...(o.omitInclusionProof ? {} : { inclusionProof: this.proof(index, o) }),
      canonicalizedBody: body.toString("base64"),
    };
  }
}

export interface RekorV2Options {
  key?: KeyPair;
  /** Host name; also the checkpoint origin and signature name. */
  host?: string;
  prefill?: number;
}

export class RekorV2Log extends LogBase {
  readonly logId: Bytes;
  readonly baseUrl: string;
  readonly origin: string;
  readonly noteName: string;

  constructor(o: RekorV2Options = {}) {
    super(o.key ?? generateKey("Ed25519"), o.prefill ?? 4);
    const host = o.host ?? "log2025-1.rekor.sigstore.test";
    this.baseUrl = `https://${host}`;
    this.origin = host;
    this.noteName = host;
    this.logId = noteKeyId(host, this.key);
  }

  append(body: Bytes, o: AppendOptions): TransparencyLogEntryJSON {
    const index = this.tree.append(body);
    return {
      logIndex: String(index),
      logId: { keyId: this.logId.toString("base64") },
      kindVersion: o.kindVersion,
      ...(o.omitIntegratedTime ? {} : { integratedTime: "0" }),
      ...(o.omitInclusionProof ? {} : { inclusionProof: this.proof(index, o) }),
      canonicalizedBody: body.toString("base64"),
    };
  }
}

/** C2SP signed-note key ID: SHA-256(name || "\n" || 0x01 || raw Ed25519 key). */
export function noteKeyId(name: string, key: KeyPair): Bytes {
  if (key.curve !== "Ed25519") return sha256(key.spki);
  return sha256(Buffer.from(`${name}\n`, "utf8"), Buffer.from([0x01]), rawEd25519(key));
}
