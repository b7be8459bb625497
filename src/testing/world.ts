// A small world for tests that connect real implementations: the test PKI, a scratch directory
// both sides mount, one sandbox per implementation, and `pair` = runPair through the wire tap after
// checking that both sides accept the configuration (a refusal fails the test: tests only ask for
// supported things). Tests can then assert on what each program said and on what crossed the wire.

import assert from "node:assert/strict";
import { whyUnsupported } from "../contract/capabilities.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { Implementation } from "../peers/implementation.ts";
import type { PkiPaths } from "../pki/layout.ts";
import type { Role } from "../tls/names.ts";
import { ensurePki } from "../pki/pki.ts";
import type { WireObservation } from "../wire/observation.ts";
import { openTap } from "../wire/tap.ts";
import { type PairResult, runPair } from "../runner/pair.ts";
import { CACHE_DIR } from "../runtime/paths.ts";
import { freePort } from "../runtime/ports.ts";
import { closeAllSandboxes, openSandbox, type Sandbox } from "../runtime/sandbox.ts";

export interface World {
  pki: PkiPaths;
  scratch: string;
  sandbox(impl: Implementation): Promise<Sandbox>;
  /** One connection through the tap; `pki` replaces the test PKI for this pair only. */
  pair(
    client: [Implementation, EndpointConfig],
    server: [Implementation, EndpointConfig],
    pki?: PkiPaths,
  ): Promise<PairResult & { wire: WireObservation }>;
}

export interface WorldOptions {
  /** More host directories every sandbox mounts (at the same path). */
  mounts?: string[];
}

export const TEST_PKI_DIR = `${CACHE_DIR}/pki`;

/** Runs `body` in a fresh world and tears every sandbox down afterwards, pass or fail. */
export async function withWorld(
  body: (w: World) => Promise<void>,
  options: WorldOptions = {},
): Promise<void> {
  const pki = await ensurePki(TEST_PKI_DIR);
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const scratch = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: "scratch-" });
  const sandboxes = new Map<string, Promise<Sandbox>>();
  const sandbox = (impl: Implementation) => {
    let s = sandboxes.get(impl.id);
    if (!s) {
      s = openSandbox(impl, { mounts: [TEST_PKI_DIR, scratch, ...options.mounts ?? []] });
      sandboxes.set(impl.id, s);
    }
    return s;
  };
  try {
    await body({
      pki,
      scratch,
      sandbox,
      async pair([ci, cc], [si, sc], pkiOverride) {
        for (const [impl, role, config] of [[ci, "client", cc], [si, "server", sc]] as const) {
          const why = whyUnsupported(impl.capabilities, role as Role, config) ??
            impl.refuse?.(role as Role, config) ?? null;
          assert.equal(why, null, `${impl.id} as ${role} refuses ${JSON.stringify(config)}`);
        }
        const serverPort = await freePort();
        const tap = await openTap({ target: serverPort });
        try {
          const result = await runPair({
            client: { sandbox: await sandbox(ci), impl: ci, config: cc },
            server: { sandbox: await sandbox(si), impl: si, config: sc },
            pki: pkiOverride ?? pki,
            scratch,
            serverPort,
            connectPort: tap.port,
          });
          const { observation } = await tap.finish();
          return { ...result, wire: observation };
        } finally {
          await tap.finish();
        }
      },
    });
  } finally {
    await closeAllSandboxes();
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/** Both sides completed the handshake; on failure the message carries both logs' reports. */
export function assertBothOk(r: PairResult): void {
  assert.ok(
    r.client.report.ok && r.server.report.ok,
    `handshake failed: client ${JSON.stringify(r.client.report)}\nserver ${
      JSON.stringify(r.server.report)
    }${r.serverNeverReady ? `\nserver never ready: ${r.serverNeverReady}` : ""}\n--- client log\n${
      tail(r.client.stdout + r.client.stderr)
    }\n--- server log\n${tail(r.server.stdout + r.server.stderr)}`,
  );
}

const tail = (s: string) => s.split("\n").slice(-40).join("\n");
