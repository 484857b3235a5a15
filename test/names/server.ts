/**
 * A one-route HTTP server on 127.0.0.1 serving a popular-project list (or a
 * fault), for `pyprov names update` tests.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ListServer {
  url: string;
  /** What the next requests get. */
  reply: { status: number; body: string };
  requests: number;
  close(): Promise<void>;
}

/** The list in the dataset's own shape: `{"rows": [{"download_count", "project"}]}`. */
export function dataset(projects: string[]): string {
  return JSON.stringify({
    last_update: "2025-01-01 00:00:00",
    rows: projects.map((project, i) => ({ download_count: 1000 - i, project })),
  });
}

export async function startListServer(body: string): Promise<ListServer> {
  const state = { reply: { status: 200, body }, requests: 0 };
  const server = http.createServer((_req, res) => {
    state.requests++;
    res.writeHead(state.reply.status, { "content-type": "application/json" });
    res.end(state.reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/top-pypi-packages.min.json`,
    get reply() {
      return state.reply;
    },
    set reply(r) {
      state.reply = r;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
