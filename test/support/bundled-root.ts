/**
 * The bundled trusted root's age counts from the newer of its newest
 * validFor.start and the day it was recorded
 * (trust-roots/trusted_root.provenance.json). Tests that fake "now" with
 * PYPROV_NOW use dates relative to that, so re-recording the root does not
 * break them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.js";

const provenance = JSON.parse(
  readFileSync(join(REPO_ROOT, "trust-roots", "trusted_root.provenance.json"), "utf8"),
) as { newestValidForStart: string; recordedAt?: string };

export const BUNDLED_ROOT_DATE = new Date(
  Math.max(
    Date.parse(provenance.newestValidForStart),
    Date.parse(provenance.recordedAt ?? provenance.newestValidForStart),
  ),
);

/** ISO time `days` after the bundled root's date. */
export function daysAfterBundled(days: number): string {
  return new Date(BUNDLED_ROOT_DATE.getTime() + days * 86_400_000).toISOString();
}

export const BUNDLED_ROOT_DAY = BUNDLED_ROOT_DATE.toISOString().slice(0, 10);
