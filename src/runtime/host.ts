// Running a short host command to completion (docker CLI, apt-get, debootstrap) with a deadline, so
// a stuck tool becomes an error instead of a hang.

export interface HostResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface HostOptions {
  timeoutMs?: number;
  stdin?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Runs argv; a program that is not installed gives code 127, like a shell would. */
export async function runHost(argv: string[], opts: HostOptions = {}): Promise<HostResult> {
  const [program, ...args] = argv;
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: timeout,
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${program}: not found`, timedOut: false };
    }
    throw e;
  }
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
    timedOut: timeout.aborted,
  };
}

/** True when the program exists on PATH. */
export async function onPath(program: string): Promise<boolean> {
  return (await runHost(["sh", "-c", `command -v ${program}`], { timeoutMs: 5_000 })).code === 0;
}

/** The last `n` non-empty lines of a text, for one-glance error messages. */
export function lastLines(text: string, n: number): string {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-n).join("\n");
}
