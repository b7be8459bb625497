// The live server's delivery: compression when asked, ETag → 304, HEAD with the GET's headers,
// cache headers per kind of page, and a fresh answer once a report changes.

import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { createHandler } from "./app.tsx";
import { chooseEncoding } from "./delivery.ts";
import { ReportStore } from "./store.ts";
import { fixtureCopy, fixtureReports, FIXTURES } from "../testing/web.ts";

const [latest, older] = await fixtureReports();
const handler = createHandler(new ReportStore(FIXTURES));
const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  handler(new Request(`http://127.0.0.1${path}`, { method, headers }));
const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());

Deno.test("chooseEncoding: brotli, else gzip, else none; q=0 refuses", () => {
  assert.equal(chooseEncoding("gzip, deflate, br"), "br");
  assert.equal(chooseEncoding("gzip"), "gzip");
  assert.equal(chooseEncoding("br;q=0, gzip;q=0.5"), "gzip");
  assert.equal(chooseEncoding("*"), "br");
  assert.equal(chooseEncoding("identity"), "identity");
  assert.equal(chooseEncoding(""), "identity");
  assert.equal(chooseEncoding(null), "identity");
});

Deno.test("/ compressed when asked, the same page after decompression", async () => {
  const plain = await get("/");
  const raw = await bytes(plain);
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("content-length"), String(raw.length));
  assert.equal(plain.headers.get("vary"), "Accept-Encoding");

  const gz = await get("/", { "accept-encoding": "gzip" });
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  const gzBody = await bytes(gz);
  assert.equal(gz.headers.get("content-length"), String(gzBody.length));
  assert.deepEqual(new Uint8Array(gunzipSync(gzBody)), raw);
  assert.ok(gzBody.length * 3 < raw.length, `gzip ${gzBody.length} of ${raw.length}`);

  const br = await get("/", { "accept-encoding": "gzip, deflate, br" });
  assert.equal(br.headers.get("content-encoding"), "br");
  assert.deepEqual(new Uint8Array(brotliDecompressSync(await bytes(br))), raw);
  // A small answer is not worth compressing.
  const health = await get("/healthz", { "accept-encoding": "gzip" });
  assert.equal(health.headers.get("content-encoding"), null);
  assert.equal(await health.text(), "ok\n");
});

Deno.test("ETag and If-None-Match: a repeat visit is a 304 without a body", async () => {
  for (const enc of ["", "gzip", "br"]) {
    const first = await get("/", { "accept-encoding": enc });
    const tag = first.headers.get("etag")!;
    assert.match(tag, /^"[0-9a-f]{24}(-gzip|-br)?"$/);
    await first.body?.cancel();
    const again = await get("/", { "accept-encoding": enc, "if-none-match": tag });
    assert.equal(again.status, 304, enc);
    assert.equal(await again.text(), "");
    assert.equal(again.headers.get("etag"), tag);
    assert.equal(again.headers.get("content-length"), null);
    const other = await get("/", { "accept-encoding": enc, "if-none-match": '"nope"' });
    assert.equal(other.status, 200);
    await other.body?.cancel();
  }
  // Each encoding has its own tag: a cache must not hand gzip to a client that did not ask.
  const a = (await get("/")).headers.get("etag");
  const b = (await get("/", { "accept-encoding": "gzip" })).headers.get("etag");
  assert.notEqual(a, b);
});

Deno.test("HEAD answers with the GET's headers and no body", async () => {
  for (const path of ["/", `/runs/${latest.id}/`, "/static/style.css"]) {
    const got = await get(path);
    const length = (await bytes(got)).length;
    const head = await get(path, {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(length), path);
    assert.equal(head.headers.get("etag"), got.headers.get("etag"));
    assert.equal(head.headers.get("content-type"), got.headers.get("content-type"));
    assert.equal((await bytes(head)).length, 0);
  }
});

Deno.test("cache headers: a finished run's pages are immutable, / asks again", async () => {
  const home = await get("/");
  await home.body?.cancel();
  assert.equal(home.headers.get("cache-control"), "no-cache");
  for (const path of [`/runs/${older.id}/`, `/runs/${latest.id}/suites/hybrid/`]) {
    const page = await get(path);
    await page.body?.cancel();
    assert.match(page.headers.get("cache-control") ?? "", /max-age=\d+, immutable/, path);
  }
  const missing = await get("/runs/nosuch/");
  await missing.body?.cancel();
  assert.equal(missing.status, 404);
  assert.doesNotMatch(missing.headers.get("cache-control") ?? "", /immutable/);
});

Deno.test("a new report changes / and its ETag at the next look", async () => {
  const dir = await fixtureCopy();
  try {
    await Deno.remove(`${dir}/ts-openssl.json`);
    const live = createHandler(new ReportStore(dir, () => {}, 0));
    const first = await live(new Request("http://127.0.0.1/"));
    const tag = first.headers.get("etag");
    assert.match(await first.text(), new RegExp(`<code>${older.id}</code>`));
    await Deno.copyFile(`${FIXTURES}/ts-openssl.json`, `${dir}/new.json`);
    const second = await live(
      new Request("http://127.0.0.1/", { headers: { "if-none-match": tag! } }),
    );
    assert.equal(second.status, 200);
    assert.notEqual(second.headers.get("etag"), tag);
    assert.match(await second.text(), new RegExp(`<code>${latest.id}</code>`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
