// Load benchmark of the results service (`deno task bench:web [--reports DIR]
// [--path /] [--connections 50] [--seconds 10]`). The server runs in its own process (as
// `deno task serve` would) so the load generator does not share its event loop; autocannon
// drives it and this prints p50/p99 latency, throughput and errors. Numbers, not a test.

import autocannon from "autocannon";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reports: { type: "string", default: "reports/runs" },
    path: { type: "string", default: "/" },
    connections: { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
  },
});

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("./serve.ts", import.meta.url).pathname,
    "--reports",
    values.reports!,
    "--port",
    "0",
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// serve.ts prints "serving DIR on http://127.0.0.1:PORT/" once it listens.
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let printed = "";
let base: string | undefined;
while (!base) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`server exited before listening: ${printed}`);
  printed += value;
  base = printed.match(/(http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
}

try {
  const page = await fetch(`${base}${values.path}`);
  const size = (await page.arrayBuffer()).byteLength;
  if (page.status !== 200) throw new Error(`${values.path} answered ${page.status}`);
  const r = await autocannon({
    url: `${base}${values.path}`,
    connections: Number(values.connections),
    duration: Number(values.seconds),
  });
  console.log(
    [
      `GET ${values.path} (${size} bytes) from ${values.reports}, ` +
      `${values.connections} connections, ${values.seconds} s`,
      `latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`,
      `${r.requests.total} requests (${r.requests.average} req/s average)`,
      `errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}`,
    ].join("\n"),
  );
} finally {
  server.kill();
  await server.status;
}
