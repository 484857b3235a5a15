export function runtimeDependencies(): string[];
export function resolvedPath(name: string): string;
export function requireInstalled(name: string): unknown;
export function snapshotDependencies(names?: string[]): Promise<Map<string, unknown>>;
export function diffSnapshots(before: Map<string, unknown>, after: Map<string, unknown>): string[];
