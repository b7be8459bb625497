// A TCP relay on 127.0.0.1 that records what it forwards. The client connects to the relay, the
// relay connects to the server, and every read is forwarded at once (or reshaped by a Shaper,
// for cases about split or delayed segments) and kept with its time for the decoder.

export type Side = "client" | "server";

/** One read from one side, as forwarded. `at` is ms since the connection was accepted. */
export interface Chunk {
  from: Side;
  at: number;
  /** Bytes read; `bytes` keeps them unless the connection went past its storage bound. */
  size: number;
  bytes: Uint8Array;
}

export interface CapturedConnection {
  /** Chunks in the order they arrived, both directions interleaved. */
  chunks: Chunk[];
  /** ms since accept when both directions had ended, or null while open. */
  closedAt: number | null;
  /** Bytes that went past the storage bound: counted, not kept. */
  droppedBytes: number;
  /** Why the connection ended abnormally (server unreachable, reset), if it did. */
  error: string | null;
}

/**
 * Decides how one read is written on: as these pieces, each optionally after a pause. `index`
 * counts reads from that side on this connection. Return null to forward unchanged.
 */
export type Shaper = (
  from: Side,
  chunk: Uint8Array,
  index: number,
) => { bytes: Uint8Array; delayMs?: number }[] | null;

/** A shaper that cuts the client's first `reads` reads into segments of `size` bytes. */
export const splitClientFlight =
  (size: number, delayMs = 0, reads = 1): Shaper => (from, chunk, index) => {
    if (from !== "client" || index >= reads) return null;
    const parts = [];
    for (let at = 0; at < chunk.length; at += size) {
      parts.push({ bytes: chunk.subarray(at, at + size), delayMs });
    }
    return parts;
  };

export interface RelayOptions {
  /** The server's port on 127.0.0.1. */
  target: number;
  /** The relay's own port (from the runtime's freePort, so parallel cells never collide). */
  port: number;
  shape?: Shaper;
  /** Bytes kept per connection; enough for every cleartext handshake message. */
  keepBytes?: number;
}

const LOOPBACK = "127.0.0.1";

export class Relay {
  readonly connections: CapturedConnection[] = [];
  private readonly open = new Set<Deno.Conn>();
  private readonly running: Promise<void>[] = [];
  private readonly accepting: Promise<void>;

  private constructor(private readonly listener: Deno.TcpListener, private opts: RelayOptions) {
    this.accepting = this.acceptLoop();
  }

  /** Starts listening on 127.0.0.1:opts.port. */
  static open(opts: RelayOptions): Relay {
    const listener = Deno.listen({ hostname: LOOPBACK, port: opts.port, transport: "tcp" });
    return new Relay(listener, opts);
  }

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  /** Stops accepting, ends open connections and waits for every pump to finish. */
  async close(): Promise<void> {
    try {
      this.listener.close();
    } catch { /* already closed */ }
    await this.accepting;
    for (const conn of this.open) closeQuietly(conn);
    await Promise.allSettled(this.running);
  }

  private async acceptLoop(): Promise<void> {
    while (true) {
      let client: Deno.Conn;
      try {
        client = await this.listener.accept();
      } catch {
        return; // listener closed
      }
      this.running.push(this.relay(client));
    }
  }

  private async relay(client: Deno.TcpConn | Deno.Conn): Promise<void> {
    const started = performance.now();
    const capture: CapturedConnection = {
      chunks: [],
      closedAt: null,
      droppedBytes: 0,
      error: null,
    };
    this.connections.push(capture);
    this.open.add(client);
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect({ hostname: LOOPBACK, port: this.opts.target });
    } catch (e) {
      capture.error = `could not reach the server on port ${this.opts.target}: ${message(e)}`;
      capture.closedAt = performance.now() - started;
      this.open.delete(client);
      closeQuietly(client);
      return;
    }
    this.open.add(server);
    // Shaped segments must leave as separate TCP segments, so Nagle must not merge them.
    noDelay(client);
    noDelay(server);
    const keep = this.opts.keepBytes ?? 1 << 20;
    let kept = 0;
    const record = (from: Side, bytes: Uint8Array) => {
      const copy = kept + bytes.length <= keep ? bytes.slice() : bytes.slice(0, keep - kept);
      capture.droppedBytes += bytes.length - copy.length;
      kept += copy.length;
      capture.chunks.push({
        from,
        at: performance.now() - started,
        size: bytes.length,
        bytes: copy,
      });
    };
    const results = await Promise.allSettled([
      this.pump(client, server, "client", record),
      this.pump(server, client, "server", record),
    ]);
    const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    if (failed) capture.error = message(failed.reason);
    capture.closedAt = performance.now() - started;
    for (const conn of [client, server]) {
      this.open.delete(conn);
      closeQuietly(conn);
    }
  }

  /** Copies one direction until end of stream, then half-closes the other side. */
  private async pump(
    src: Deno.Conn,
    dst: Deno.Conn,
    from: Side,
    record: (from: Side, bytes: Uint8Array) => void,
  ): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    const to: Side = from === "client" ? "server" : "client";
    let index = 0;
    let stage = "reading from";
    try {
      while (true) {
        stage = "reading from";
        const n = await src.read(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        // Counted as it arrives; sizes and segments describe what the sender sent.
        record(from, chunk);
        const parts = this.opts.shape?.(from, chunk, index) ?? [{ bytes: chunk }];
        index++;
        stage = "writing to";
        for (const part of parts) {
          if (part.delayMs) await new Promise((r) => setTimeout(r, part.delayMs));
          await writeAll(dst, part.bytes);
        }
      }
    } catch (e) {
      // The peer reset or the relay is closing: end the other direction too.
      closeQuietly(src);
      closeQuietly(dst);
      if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
      const who = stage === "reading from" ? from : to;
      if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
        throw new Error(`the ${who} reset the TCP connection`);
      }
      throw new Error(`${stage} the ${who}: ${message(e)}`);
    }
    try {
      await dst.closeWrite();
    } catch { /* the other side is gone already */ }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

function noDelay(conn: Deno.Conn): void {
  try {
    (conn as Deno.TcpConn).setNoDelay(true);
  } catch { /* not a TCP socket */ }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

const message = (e: unknown): string => e instanceof Error ? e.message : String(e);
