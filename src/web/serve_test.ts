import assert from "node:assert/strict";
import { serve } from "./serve.ts";
import { FIXTURES } from "../testing/web.ts";

const SERVE = new URL("./serve.ts", import.meta.url).pathname;

Deno.test("serve binds 127.0.0.1 and answers; HEAD over the wire has the GET's length", async () => {
  const server = serve({ reports: FIXTURES, port: 0, onListen: () => {} });
  try {
    assert.equal(server.addr.hostname, "127.0.0.1");
    const base = `http://127.0.0.1:${server.addr.port}`;
    const res = await fetch(`${base}/healthz`);
    assert.equal(await res.text(), "ok\n");
    const page = await fetch(`${base}/`, { headers: { "accept-encoding": "identity" } });
    const length = (await page.arrayBuffer()).byteLength;
    const head = await fetch(`${base}/`, {
      method: "HEAD",
      headers: { "accept-encoding": "identity" },
    });
    assert.equal(head.headers.get("content-length"), String(length));
    assert.ok(length > 1000);
    await head.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

Deno.test("a port in use is a one-line error and exit 1", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SERVE, "--reports", FIXTURES, "--port", String(busy.addr.port)],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 1);
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    assert.deepEqual(lines, [`serve: port ${busy.addr.port} on 127.0.0.1 is already in use`]);
  } finally {
    busy.close();
  }
});
