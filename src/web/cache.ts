// Rendered responses, kept until any report file changes: a page is a pure function of the URL
// and the reports, and rendering a full matrix costs milliseconds that a busy page cannot spend
// on every request. Bounded by bytes; the least recently used entry goes first, and a body too
// big to be worth keeping (a whole run's JSON) is not kept.

import type { MiddlewareHandler } from "hono";
import type { ReportStore } from "./store.ts";

interface Cached {
  version: string;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export function responseCache(
  store: ReportStore,
  { maxBytes = 64 << 20, maxEntryBytes = 4 << 20 } = {},
): MiddlewareHandler {
  const cache = new Map<string, Cached>();
  let bytes = 0;
  const drop = (key: string) => {
    bytes -= cache.get(key)?.body.byteLength ?? 0;
    cache.delete(key);
  };
  return async (c, next) => {
    if (c.req.method !== "GET") return await next();
    const version = await store.version();
    const key = c.req.url;
    const hit = cache.get(key);
    if (hit?.version === version) {
      cache.delete(key); // re-insert: Map order is the recency order
      cache.set(key, hit);
      return new Response(hit.body.slice(), { status: hit.status, headers: hit.headers });
    }
    drop(key);
    await next();
    if (c.res.status !== 200) return;
    const body = new Uint8Array(await c.res.clone().arrayBuffer());
    if (body.byteLength > maxEntryBytes) return;
    cache.set(key, { version, status: c.res.status, headers: [...c.res.headers], body });
    bytes += body.byteLength;
    while (bytes > maxBytes) drop(cache.keys().next().value!);
  };
}
