// An implementation that speaks the peer contract (docs/peer-contract.md): its program is started
// with the contract's flags for the case, and its JSON lines are read by the one shared reader.
// Manifests (src/peers/manifest.ts) and the reference peer (src/peers/ts.ts) are both this.

import type { Capabilities } from "../contract/capabilities.ts";
import type { EndpointConfig } from "../contract/config.ts";
import { contractArgs } from "../contract/flags.ts";
import { readPeerReport } from "../contract/report.ts";
import type { Role } from "../tls/names.ts";
import type { Implementation, Placement } from "./implementation.ts";

export interface ContractProgram {
  id: string;
  name: string;
  placement: Placement;
  capabilities: Capabilities;
  /** The program inside its placement, before the role: e.g. ["/usr/local/bin/pqi-go"]. */
  program: string[];
  env?: Record<string, string>;
  inDefaultRun?: boolean;
  httpOnly?: boolean;
  /** Flags beyond the contract that this program alone understands (the reference peer's). */
  extraArgs?(role: Role, config: EndpointConfig): string[];
  refuse?(role: Role, config: EndpointConfig): string | null;
  versionCommand?: string[];
  manifest?: Implementation["manifest"];
}

export function contractImplementation(p: ContractProgram): Implementation {
  const spec =
    (role: Role) => (config: EndpointConfig, ctx: Parameters<Implementation["server"]>[1]) => ({
      argv: [
        ...p.program,
        role,
        ...contractArgs(role, config, ctx),
        ...(p.extraArgs?.(role, config) ?? []),
      ],
      env: p.env,
      ready: role === "server" ? /listening on 127\.0\.0\.1:\d+/ : undefined,
    });
  return {
    id: p.id,
    name: p.name,
    placement: p.placement,
    capabilities: p.capabilities,
    inDefaultRun: p.inDefaultRun ?? true,
    httpOnly: p.httpOnly,
    refuse: p.refuse,
    server: spec("server"),
    client: spec("client"),
    parse: readPeerReport,
    versionCommand: p.versionCommand,
    manifest: p.manifest,
  };
}
