// `deno task serve [--reports DIR] [--port N]`: the results service on 127.0.0.1.

import { parseArgs } from "node:util";
import { createHandler } from "./app.tsx";
import { ReportStore } from "./store.ts";

export interface ServeOptions {
  reports: string;
  port: number;
  onListen?: (addr: Deno.NetAddr) => void;
}

export function serve({ reports, port, onListen }: ServeOptions): Deno.HttpServer<Deno.NetAddr> {
  const handler = createHandler(new ReportStore(reports));
  return Deno.serve({ hostname: "127.0.0.1", port, onListen }, handler);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      reports: { type: "string", default: "reports/runs" },
      port: { type: "string", default: "8080" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be a port number, got "${values.port}"`);
    Deno.exit(2);
  }
  try {
    serve({
      reports: values.reports!,
      port,
      onListen: (a) => console.log(`serving ${values.reports} on http://${a.hostname}:${a.port}/`),
    });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(`serve: port ${port} on 127.0.0.1 is already in use`);
      Deno.exit(1);
    }
    throw e;
  }
}
