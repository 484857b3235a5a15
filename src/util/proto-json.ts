/**
 * Protobuf-JSON (the proto3 JSON mapping) nulls: "null is an accepted value
 * for all field types and treated as the default value of the corresponding
 * field type" (google.protobuf.Value aside, which no Sigstore message pyprov
 * reads contains). So `"validFor": {"start": "...", "end": null}` is a range
 * with no end, exactly as if `end` were absent.
 *
 * One mechanism for every protobuf-JSON message pyprov checks (trusted roots,
 * bundles, the transparency-log entries of PEP 740 attestations): declare the
 * message with {@link protoMessage} or {@link protoLooseMessage} instead of
 * z.strictObject / z.looseObject. Before the fields are checked, every field
 * of the message's shape whose value is null is removed. Nothing else
 * changes:
 *  - a required field that is null fails exactly as a missing one does;
 *  - a field of the wrong type fails as before;
 *  - an unknown field fails (strict message) or passes (loose message) as
 *    before, even when its value is null: only fields the shape names are
 *    fields whose null means "absent";
 *  - a null element of a list is not a field, and the list's element schema
 *    rejects it (proto3 JSON allows none there).
 *
 * A loose message's output keeps the fields its shape does not name, nulls
 * included; the Sigstore libraries it is handed to read those as absent too
 * (@sigstore/protobuf-specs' fromJSON treats null and undefined alike).
 */
import * as z from "zod/mini";

/** Drops the null-valued members named by `keys` (a copy when there are any; else `value` itself). */
function withoutNullFields(keys: readonly string[]): (value: unknown) => unknown {
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const k of keys) {
      if (Object.hasOwn(record, k) && record[k] === null) {
        out ??= { ...record };
        delete out[k];
      }
    }
    return out ?? value;
  };
}

/** A protobuf-JSON message with exactly these fields (unknown fields rejected); a null field reads as absent. */
export function protoMessage<S extends z.core.$ZodShape>(shape: S) {
  return z.pipe(z.transform(withoutNullFields(Object.keys(shape))), z.strictObject(shape));
}

/** A protobuf-JSON message with at least these fields (others kept); a null field reads as absent. */
export function protoLooseMessage<S extends z.core.$ZodShape>(shape: S) {
  return z.pipe(z.transform(withoutNullFields(Object.keys(shape))), z.looseObject(shape));
}
