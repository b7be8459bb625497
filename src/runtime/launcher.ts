// The runner's side of the launcher (launcher/launcher.pl): one persistent `docker exec` per
// container carries a line protocol over its stdin and stdout, and every program of every cell in
// that container is started, fed, killed and reaped through it. A program start costs a fork in
// the container instead of a `docker exec` (about 120 ms of engine work each).

import { Program } from "./process.ts";

/** Where the launcher script is inside every container (mounted read-only from the repository). */
export const LAUNCHER_DIR = "/pqinterop-launcher";
export const LAUNCHER_SOURCE = new URL("./launcher", import.meta.url).pathname;

export interface LaunchSpec {
  argv: string[];
  env?: Record<string, string>;
  stdin?: string;
}

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array): string =>
  bytes.length ? Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") : "-";
const hexText = (text: string): string => hex(encoder.encode(text));
function unhex(text: string): Uint8Array {
  if (text === "-") return new Uint8Array(0);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The two ends of the protocol: a TCP connection to the launcher on 127.0.0.1. */
interface Channel {
  readable: ReadableStream<Uint8Array>;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  close(): void;
}

export class Launcher {
  private readonly programs = new Map<string, Program>();
  private nextId = 0;
  private pongs: (() => void)[] = [];
  private deathReason: string | null = null;
  /** Resolves with the reason when the launcher is gone (it died, or was closed). */
  readonly gone: Promise<string>;

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly channel: Channel,
    private readonly label: string,
    stderr: Promise<string>,
  ) {
    let markGone!: (why: string) => void;
    this.gone = new Promise((r) => markGone = r);
    // The launcher is gone when its connection ends, or when the `docker exec` behind it does.
    Promise.race([this.readLines(), child.status]).finally(async () => {
      channel.close();
      const status = await Promise.race([
        child.status,
        new Promise<null>((r) => setTimeout(() => r(null), 1_000)),
      ]);
      const said = (await Promise.race([stderr, Promise.resolve("")])).trim().split("\n").at(-1);
      const why = this.deathReason ??
        `the ${label} launcher stopped (exit ${status?.code ?? "?"})${said ? `: ${said}` : ""}`;
      this.deathReason = why;
      for (const p of this.programs.values()) {
        p.output(2, `\n[pqinterop] ${why}\n`);
        p.exit(null);
      }
      this.programs.clear();
      markGone(why);
    });
  }

  /**
   * Starts the launcher with `argv` (e.g. `docker exec -i ID perl …/launcher.pl --tcp`), connects
   * to the port it names on 127.0.0.1, and checks that it answers; throws with what it said when
   * it does not.
   */
  static async start(argv: string[], label: string, timeoutMs = 15_000): Promise<Launcher> {
    const [program, ...args] = argv;
    const child = new Deno.Command(program, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text().catch(() => "");
    const fail = async (why: string): Promise<never> => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      const said =
        (await Promise.race([stderr, new Promise<string>((r) => setTimeout(() => r(""), 1_000))]))
          .trim().split("\n").at(-1);
      throw new Error(`the ${label} launcher ${why}${said ? `: ${said}` : ""}`);
    };
    // Its first line names the port; the rest of its stdout stays empty.
    const first = await Promise.race([
      firstLine(child.stdout),
      new Promise<null>((r) => setTimeout(() => r(null), timeoutMs)),
    ]);
    const port = first?.match(/^port (\d+)$/)?.[1];
    if (!port) return await fail(`did not start (it said ${JSON.stringify(first ?? "nothing")})`);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    } catch (e) {
      return await fail(`could not be reached on 127.0.0.1:${port} (${(e as Error).message})`);
    }
    conn.setNoDelay(true);
    const channel: Channel = {
      readable: conn.readable,
      writer: conn.writable.getWriter(),
      close: () => {
        try {
          conn.close();
        } catch { /* already closed */ }
      },
    };
    const launcher = new Launcher(child, channel, label, stderr);
    const answered = await Promise.race([
      launcher.ping().then(() => true),
      launcher.gone.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
    ]);
    if (!answered) {
      const why = launcher.deathReason ?? `the ${label} launcher did not answer in ${timeoutMs} ms`;
      await launcher.close();
      throw new Error(why);
    }
    return launcher;
  }

  get alive(): boolean {
    return this.deathReason === null;
  }

  /** Resolves when the launcher answers: it is alive and reading. */
  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.pongs.push(resolve);
      this.send("ping");
    });
  }

  spawn(spec: LaunchSpec): Program {
    const id = String(++this.nextId);
    const program = new Program(() => this.send(`kill ${id}`));
    if (!this.alive) {
      program.output(2, `[pqinterop] ${this.deathReason}\n`);
      program.exit(null);
      return program;
    }
    this.programs.set(id, program);
    const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`).join("\0");
    // An empty input and none are the same to the program: its stdin ends at once.
    const stdin = spec.stdin ? hexText(spec.stdin) : "-";
    this.send(`spawn ${id} ${hexText(spec.argv.join("\0"))} ${env ? hexText(env) : "-"} ${stdin}`);
    return program;
  }

  /** Ends every program and the launcher itself. */
  async close(reason = `the ${this.label} launcher was closed`): Promise<void> {
    this.deathReason ??= reason;
    // Its connection and its stdin ending both tell the launcher to end every program and go.
    await this.channel.writer.close().catch(() => {});
    await this.child.stdin.close().catch(() => {});
    const ended = await Promise.race([
      this.child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3_000)),
    ]);
    if (!ended) {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await this.gone;
  }

  /** Kills the launcher process itself, as a crash would (for tests of the repair path). */
  crash(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  private send(line: string): Promise<void> {
    return this.channel.writer.write(encoder.encode(line + "\n")).catch(() => {});
  }

  private async readLines(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of this.channel.readable) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          this.handle(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      }
    } catch { /* the stream broke: the launcher is gone */ }
  }

  private handle(line: string): void {
    const [verb, id, a, b] = line.split(" ");
    const program = this.programs.get(id);
    switch (verb) {
      case "out":
        program?.output(a === "2" ? 2 : 1, unhex(b));
        break;
      case "failed":
        program?.output(2, new TextDecoder().decode(unhex(a)) + "\n");
        break;
      case "exit":
        this.programs.delete(id);
        program?.exit(a === "-" ? null : Number(a), b === "-" ? null : Number(b));
        break;
      case "pong":
        this.pongs.shift()?.();
        break;
        // "started" needs nothing: the program is already tracked.
    }
  }
}

/** Reads one line from a stream and lets the rest drain away unread. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) return text || null;
    text += decoder.decode(value, { stream: true });
  }
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done);
  })();
  return text.slice(0, text.indexOf("\n"));
}
