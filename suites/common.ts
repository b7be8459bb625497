// Pieces every suite shares: the certificate servers present unless a case is about
// certificates, the example external PSK that the library examples have built in, and one way
// of writing "both sides use exactly this group".

import type { Case, Expectation } from "../src/contract/case.ts";
import type { EndpointConfig, ExternalPsk } from "../src/contract/config.ts";
import type { GroupName, PskModeName } from "../src/tls/names.ts";

/** The certificate a server presents when the case is not about certificates. */
export const DEFAULT_CERT = "ecdsa-p256" as const;

/**
 * wolfSSL's example programs hard-code this PSK (wolfssl/test.h: identity "Client_identity", the
 * 32-byte key 0123456789abcdef ×4, SHA-256) and OpenSSL's s_client uses the same identity by
 * default, so using it lets the stock example programs take part without a custom build.
 */
export function examplePsk(mode: PskModeName, imported = false): ExternalPsk {
  return {
    identity: "Client_identity",
    keyHex: "0123456789abcdef".repeat(4),
    hash: "sha256",
    mode,
    ...(imported ? { imported: true } : {}),
  };
}

/**
 * Client offers only `group`; the server accepts only `group`. Which groups get a key share is
 * left to the client (a client with one group shares it, or earns an HRR that the expectation
 * catches), so clients that cannot choose shares (BoringSSL through Bun) still take part.
 */
export function onlyGroup(group: GroupName): { client: EndpointConfig; server: EndpointConfig } {
  return {
    client: { groups: [group] },
    server: { groups: [group], certificate: DEFAULT_CERT },
  };
}

/** A case where both sides are configured with exactly one group, and that group must win. */
export function singleGroupCase(suite: string, group: GroupName, title: string): Case {
  const expect: Expectation = { kind: "handshake", group, helloRetryRequest: false };
  return { id: `${suite}/${group}`, suite, title, ...onlyGroup(group), expect };
}
