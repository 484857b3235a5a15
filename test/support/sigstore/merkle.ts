/**
 * An append-only RFC 6962 Merkle tree held in memory. Hashes of complete
 * (power-of-two, aligned) subtrees never change, so they are cached and
 * roots and inclusion proofs cost O(log² n) hashes.
 */
import { sha256 } from "./keys.js";
import type { Bytes } from "./keys.js";

export function leafHash(data: Uint8Array): Bytes {
  return sha256(Buffer.from([0x00]), data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Bytes {
  return sha256(Buffer.from([0x01]), left, right);
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export class MerkleTree {
  private readonly leaves: Bytes[] = [];
  private readonly complete = new Map<string, Bytes>();

  get size(): number {
    return this.leaves.length;
  }

  /** Appends a leaf (its raw data, hashed here) and returns its index. */
  append(data: Uint8Array): number {
    this.leaves.push(leafHash(data));
    return this.leaves.length - 1;
  }

  /** Appends an already-hashed leaf (for padding a log with filler entries). */
  appendHash(hash: Bytes): number {
    this.leaves.push(hash);
    return this.leaves.length - 1;
  }

  /** Root hash of the first `size` leaves (default: the whole tree). */
  root(size = this.size): Bytes {
    if (size === 0) return sha256();
    return this.hash(0, size);
  }

  /** RFC 6962 audit path for leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.size): Bytes[] {
    if (index < 0 || index >= size || size > this.size) throw new Error("index out of range");
    return this.path(index, 0, size);
  }

  private path(m: number, start: number, n: number): Bytes[] {
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, start, k), this.hash(start + k, n - k)];
    return [...this.path(m - k, start + k, n - k), this.hash(start, k)];
  }

  private hash(start: number, n: number): Bytes {
    if (n === 1) {
      const leaf = this.leaves[start];
      if (!leaf) throw new Error("missing leaf");
      return leaf;
    }
    const isComplete = (n & (n - 1)) === 0;
    const cacheKey = `${start}/${n}`;
    if (isComplete) {
      const cached = this.complete.get(cacheKey);
      if (cached) return cached;
    }
    const k = splitPoint(n);
    const h = nodeHash(this.hash(start, k), this.hash(start + k, n - k));
    if (isComplete) this.complete.set(cacheKey, h);
    return h;
  }
}
