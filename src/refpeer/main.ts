// The reference peer on the command line: `deno task peer server|client …`. It speaks the peer
// contract (docs/peer-contract.md) — it is the contract's reference implementation — and prints
// one JSON line per connection on stdout. A usage mistake is one line on stderr and exit code 2,
// never a stack trace. The runner calls `main` in-process for cells with `ts` on a side.

import { FlagError, parseFlags, usageLines } from "../cli/flags.ts";
import { EXIT } from "../contract/flags.ts";
import { PEER_FLAGS } from "./flags.ts";
import { clientConfig, serverConfig } from "./options.ts";
import { type PeerIo, runClient, runServer } from "./run.ts";

export type { PeerIo };

export function usage(): string {
  return [
    "usage: deno task peer server --port N --cert F --key F [flags]",
    "       deno task peer client --port N --ca F [flags]",
    "",
    "server flags:",
    ...usageLines(PEER_FLAGS, "server"),
    "",
    "client flags:",
    ...usageLines(PEER_FLAGS, "client"),
    "",
    "The flags of the peer contract are described in docs/peer-contract.md.",
  ].join("\n");
}

const consoleIo: PeerIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs the peer with these arguments; the exit code (0, 1, 2) is returned, never taken. */
export async function main(argv: string[], io: PeerIo = consoleIo): Promise<number> {
  const [role, ...rest] = argv;
  try {
    if (role === undefined || role === "--help" || role === "-h") {
      io.out(usage());
      return EXIT.ok;
    }
    if (role !== "server" && role !== "client") {
      throw new FlagError(`the first argument must be "server" or "client", got "${role}"`);
    }
    const { values, positionals } = parseFlags(PEER_FLAGS, rest, role);
    if (positionals.length) throw new FlagError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      io.out(usage());
      return EXIT.ok;
    }
    return role === "server"
      ? await runServer(await serverConfig(values), values, io)
      : await runClient(await clientConfig(values), values, io);
  } catch (e) {
    if (e instanceof FlagError) {
      io.err(`peer: ${e.message}`);
      return EXIT.usage;
    }
    io.err(`peer: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
