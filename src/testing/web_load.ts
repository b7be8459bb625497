// Load benchmark of the results service: `deno task bench:web [--reports DIR] [--path /]
// [--connections 50] [--seconds 10]`. The server runs in its own process (as `deno task serve`
// would); wrk drives it when installed (apt-get install wrk), autocannon otherwise, so the load
// generator does not share the server's event loop. It prints the page's weight raw and compressed,
// whether a repeat visit is a 304, and p50/p99 latency. Without runs in DIR it measures a full run
// made by fullrun.ts (two of them, so the summary has something to compare).
// Numbers, not a test: on a shared machine they move with everything else that runs.

import autocannon from "autocannon";
import { parseArgs } from "node:util";
import { readFolder } from "../report/read.ts";
import { writeFullRuns } from "./fullrun.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reports: { type: "string", default: "reports/runs" },
    path: { type: "string", default: "/" },
    connections: { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
  },
});

let reports = values.reports!;
let made: string | null = null;
if ((await readFolder(reports)).runs.length === 0) {
  made = reports = await Deno.makeTempDir({ prefix: "pqinterop-bench-" });
  console.log(`no runs in ${values.reports}: measuring a full run made in ${reports}`);
  await writeFullRuns(reports, { runs: 2 });
}

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("../web/serve.ts", import.meta.url).pathname,
    "--reports",
    reports,
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
reader.releaseLock();
server.stdout.cancel().catch(() => {});

/** p50 and p99 in ms from wrk's --latency output, or null when wrk is not there. */
async function withWrk(url: string): Promise<{ p50: number; p99: number; rps: number } | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("wrk", {
      args: ["-t2", `-c${values.connections}`, `-d${values.seconds}s`, "--latency", url],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    return null;
  }
  const text = new TextDecoder().decode(out.stdout);
  const ms = (p: string) => {
    const m = text.match(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)$`, "m"));
    if (!m) throw new Error(`wrk printed no ${p}% line:\n${text}`);
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]];
  };
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  return { p50: ms("50"), p99: ms("99"), rps };
}

try {
  const url = `${base}${values.path}`;
  const page = await fetch(url, { headers: { "accept-encoding": "identity" } });
  if (page.status !== 200) throw new Error(`${values.path} answered ${page.status}`);
  const raw = (await page.arrayBuffer()).byteLength;
  // fetch undoes the encoding; the length on the wire is the header's.
  const sent = async (encoding: string) => {
    const res = await fetch(url, { headers: { "accept-encoding": encoding } });
    await res.body?.cancel();
    return `${res.headers.get("content-length")} ${
      res.headers.get("content-encoding") ?? encoding
    }`;
  };
  const gz = await sent("gzip");
  const br = await sent("br");
  const repeat = await fetch(url, {
    headers: { "accept-encoding": "identity", "if-none-match": page.headers.get("etag") ?? "" },
  });
  await repeat.body?.cancel();

  const wrk = await withWrk(url);
  const latency = wrk ?? await (async () => {
    const r = await autocannon({
      url,
      connections: Number(values.connections),
      duration: Number(values.seconds),
    });
    return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average };
  })();
  console.log(
    [
      `GET ${values.path} from ${reports}: ${raw} bytes raw, ${gz}, ${br}; ` +
      `repeat with its ETag: ${repeat.status}`,
      `${wrk ? "wrk" : "autocannon"}, ${values.connections} connections, ${values.seconds} s: ` +
      `p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, ` +
      `${Math.round(latency.rps)} requests/s`,
    ].join("\n"),
  );
} finally {
  server.kill();
  await server.status;
  if (made) await Deno.remove(made, { recursive: true });
}
