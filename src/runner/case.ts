// A test case is data: who it needs, how each side is configured, and what must happen.
// Suites under suites/ export arrays of these; the runner crosses them with implementation pairs.

import type { EndpointConfig, ImplId, Role } from "../peers/types.ts";
import type { AlertName, CipherSuiteName, GroupName, PskModeName } from "../tls/names.ts";

/** What must be seen for the cell to pass. Only the fields given are checked. */
export type Expectation =
  | {
    kind: "handshake";
    /** null = no key exchange group (psk_ke). */
    group?: GroupName | null;
    /** Any of these groups (when the pair's preferences decide, e.g. defaults). */
    groupOneOf?: GroupName[];
    helloRetryRequest?: boolean;
    cipherSuite?: CipherSuiteName;
    resumed?: boolean;
    pskMode?: PskModeName | null;
    earlyData?: "accepted" | "rejected" | null;
    certWithPsk?: boolean;
  }
  | {
    kind: "alert";
    /** The side expected to detect the problem and send the alert. */
    by: Role;
    alert: AlertName;
  };

/** Conformance cases: the reference peer misbehaves on purpose (issue: conformance suite). */
export interface Misbehaviour {
  /** Name of a hook in src/tls/hooks.ts. */
  hook: string;
  /** Hook parameters. */
  params?: Record<string, string | number | boolean>;
  /** The role of the implementation under test (the reference peer plays the other one). */
  roleUnderTest: Role;
  /** The sentence the expectation enforces, with document and section. */
  source: string;
}

export interface Case {
  /** `<suite>/<name>` */
  id: string;
  suite: string;
  title: string;
  client: EndpointConfig;
  server: EndpointConfig;
  expect: Expectation;
  /** Restrict the case to some implementations on one side (e.g. the TS peer as adversary). */
  only?: { client?: ImplId[]; server?: ImplId[] };
  misbehaviour?: Misbehaviour;
  /** Cases marked required must pass on every pair that supports them (gates CI). */
  required?: boolean;
}
