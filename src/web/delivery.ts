// How responses leave the live server: rendered once and kept until a report file changes (a page is
// a pure function of the URL and the reports), compressed once per encoding a browser asks for
// (brotli, else gzip), with a strong ETag so a repeat visit is a 304 without a body, and with the
// right Content-Length on HEAD. The cache is bounded by bytes; the least recently used entry goes
// first, and a body too big to be worth keeping is sent as it is.

import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { MiddlewareHandler } from "hono";

/** Anything smaller is not worth compressing (the headers would outweigh the saving). */
const MIN_COMPRESS = 512;
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg\+xml)/;

type Encoding = "br" | "gzip" | "identity";
type Bytes = Uint8Array<ArrayBuffer>;

interface Entry {
  version: string;
  status: number;
  headers: [string, string][];
  /** The body per encoding, made on first demand; identity always there. */
  bodies: Partial<Record<Encoding, Bytes>>;
  etag: string;
  compressible: boolean;
}

export interface DeliveryOptions {
  /** The reports' version: entries made under another one are stale. */
  version: () => Promise<string>;
  maxBytes?: number;
  maxEntryBytes?: number;
}

/** The encoding to send: brotli when accepted, else gzip, else none. */
export function chooseEncoding(accept: string | null | undefined): Encoding {
  const q = new Map<string, number>();
  for (const part of (accept ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const qv = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    q.set(name, qv ? Number(qv.slice(2)) : 1);
  }
  const ok = (e: string) => (q.get(e) ?? q.get("*") ?? 0) > 0;
  return ok("br") ? "br" : ok("gzip") ? "gzip" : "identity";
}

function compress(body: Bytes, encoding: Encoding): Bytes {
  if (encoding === "br") {
    return new Uint8Array(brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }));
  }
  if (encoding === "gzip") return new Uint8Array(gzipSync(body, { level: 9 }));
  return body;
}

async function etagOf(body: Bytes): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** If-None-Match holds this tag (or `*`); weak comparison, as RFC 9110 asks for it. */
function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v === tag;
  });
}

export function delivery(
  { version, maxBytes = 96 << 20, maxEntryBytes = 8 << 20 }: DeliveryOptions,
): MiddlewareHandler {
  const cache = new Map<string, Entry>();
  let bytes = 0;
  const size = (e: Entry) => Object.values(e.bodies).reduce((n, b) => n + b.byteLength, 0);
  const drop = (key: string) => {
    const e = cache.get(key);
    if (e) bytes -= size(e);
    cache.delete(key);
  };

  return async (c, next) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") return await next();
    const current = await version();
    const key = c.req.url;
    let entry = cache.get(key);
    if (entry && entry.version !== current) {
      drop(key);
      entry = undefined;
    }
    if (!entry) {
      await next();
      const res = c.res;
      const body = new Uint8Array(await res.arrayBuffer());
      const type = res.headers.get("content-type") ?? "";
      entry = {
        version: current,
        status: res.status,
        headers: [...res.headers].filter(([k]) => k !== "content-length"),
        bodies: { identity: body },
        etag: await etagOf(body),
        compressible: COMPRESSIBLE.test(type) && body.byteLength >= MIN_COMPRESS,
      };
      // Only answers that stay the same are kept: pages and files, and their 404s.
      if ((res.status === 200 || res.status === 404) && body.byteLength <= maxEntryBytes) {
        cache.set(key, entry);
        bytes += body.byteLength;
      }
    } else {
      cache.delete(key); // re-insert: Map order is the recency order
      cache.set(key, entry);
    }

    const encoding = entry.compressible
      ? chooseEncoding(c.req.header("accept-encoding"))
      : "identity";
    let body = entry.bodies[encoding];
    if (!body) {
      body = entry.bodies[encoding] = compress(entry.bodies.identity!, encoding);
      if (cache.get(key) === entry) bytes += body.byteLength;
    }
    while (bytes > maxBytes && cache.size > 0) drop(cache.keys().next().value!);

    const headers = new Headers(entry.headers);
    // Unless the route knows better (an immutable run page), a browser asks again each time, and
    // the ETag makes that a 304.
    if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-cache");
    const tag = `"${entry.etag}${encoding === "identity" ? "" : `-${encoding}`}"`;
    if (entry.status === 200) headers.set("ETag", tag);
    if (entry.compressible) headers.set("Vary", "Accept-Encoding");
    if (encoding !== "identity") headers.set("Content-Encoding", encoding);
    if (entry.status === 200 && matches(c.req.header("if-none-match"), tag)) {
      headers.delete("Content-Type");
      headers.delete("Content-Encoding");
      c.res = new Response(null, { status: 304, headers });
      return;
    }
    headers.set("Content-Length", String(body.byteLength));
    c.res = new Response(method === "HEAD" ? null : body, { status: entry.status, headers });
  };
}
