/**
 * The memory a verification worker shares with its pool (verify/workers.ts):
 * an Int32Array of two slots, read and written with Atomics on both sides.
 */
/** 1 once the worker has loaded the trusted root and takes jobs. */
export const READY = 0;
/** Jobs sent to the worker and not finished yet. */
export const IN_FLIGHT = 1;
/** Bytes of the SharedArrayBuffer behind it. */
export const WORKER_STATE_BYTES = 8;
