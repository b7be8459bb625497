// An implementation as the runner sees it: an id, its capabilities, where it runs, and how each
// role is started and read. Built-in TypeScript adapters and manifest implementations (speaking the
// peer contract, docs/peer-contract.md) both end up as this.

import type { Capabilities } from "../contract/capabilities.ts";
import type { EndpointConfig } from "../contract/config.ts";
import type { CellContext, ProcessSpec } from "../contract/process.ts";
import type { PeerReport, ProgramOutput } from "../contract/report.ts";
import type { Role } from "../tls/names.ts";
import type { Placement, SandboxTarget } from "../runtime/sandbox.ts";

export type { Placement };

/** "openssl", or "openssl@3.6" for another version of the same library. */
export type ImplId = string;

export interface Implementation extends SandboxTarget {
  id: ImplId;
  name: string;
  placement: Placement;
  capabilities: Capabilities;
  /** Run in the default matrix; other versions of a library are chosen by name. */
  inDefaultRun: boolean;
  /** The client can only make one HTTP/1.1 request (a browser): its cells run with --http. */
  httpOnly?: boolean;
  /** Extra refusals that depend on a combination, beyond the capability tables. */
  refuse?(role: Role, config: EndpointConfig): string | null;
  server(config: EndpointConfig, ctx: CellContext): ProcessSpec;
  client(config: EndpointConfig, ctx: CellContext): ProcessSpec;
  parse(role: Role, output: ProgramOutput): PeerReport;
}
