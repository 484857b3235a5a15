/**
 * pyprov's own DER encoder for @sigstore/core's parsed ASN.1 trees.
 *
 * `ASN1Obj.prototype.toDER()` re-encodes a tree through a growable byte
 * stream that allocates a zero-filled 1 KiB block per node; checking one
 * certificate chain calls it dozens of times. {@link encodeDer} computes the
 * same bytes (tag byte, minimal definite length, content from the children or
 * the value) into one exactly sized buffer. It is called only from pyprov's
 * own certificate checks (src/sigstore/certificates.ts); @sigstore/core's own
 * method is left as it is. test/sigstore/der.test.ts compares the two on every
 * node of every real certificate.
 */
import type { ASN1Obj } from "@sigstore/core";

function lengthOfLength(len: number): number {
  if (len < 0x80) return 1;
  let n = 0;
  for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return 1 + n;
}

function writeLength(buf: Buffer, at: number, len: number): number {
  if (len < 0x80) {
    buf[at] = len;
    return at + 1;
  }
  const n = lengthOfLength(len) - 1;
  buf[at] = 0x80 | n;
  for (let i = n; i >= 1; i--) {
    buf[at + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return at + n + 1;
}

/**
 * The DER encoding of a tree as it is now: exactly what `root.toDER()` gives,
 * or, with `omit`, what it gives after that one node is removed from its
 * parent's children (how an RFC 6962 pre-certificate drops the SCT
 * extension), without editing or copying the tree.
 */
export function encodeDer(root: ASN1Obj, omit?: ASN1Obj): Buffer {
  // As toDER() does, a node with no children (left) is encoded from its value.
  const children = (node: ASN1Obj): ASN1Obj[] =>
    omit === undefined || !node.subs.includes(omit)
      ? node.subs
      : node.subs.filter((s) => s !== omit);
  const contentSize = new Map<ASN1Obj, number>();
  const total = (node: ASN1Obj): number => {
    let content = 0;
    const subs = children(node);
    if (subs.length > 0) for (const sub of subs) content += total(sub);
    else content = node.value.length;
    contentSize.set(node, content);
    return 1 + lengthOfLength(content) + content;
  };
  const out = Buffer.allocUnsafe(total(root));
  const write = (node: ASN1Obj, at: number): number => {
    const content = contentSize.get(node)!;
    out[at] = node.tag.toDER();
    at = writeLength(out, at + 1, content);
    const subs = children(node);
    if (subs.length > 0) {
      for (const sub of subs) at = write(sub, at);
    } else {
      node.value.copy(out, at);
      at += node.value.length;
    }
    return at;
  };
  const end = write(root, 0);
  if (end !== out.length) throw new Error("DER encoding size mismatch");
  return out;
}
