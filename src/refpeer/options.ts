// The reference peer's flags turned into a ServerConfig or ClientConfig, every file read and every
// combination checked before a socket opens. A mistake is a FlagError naming the flag.

import { FlagError, type FlagValues } from "../cli/flags.ts";
import { fromHex } from "../tls/codec.ts";
import type { ClientConfig, Credential, ServerConfig } from "../tls/config.ts";
import { TlsAlert } from "../tls/alert.ts";
import { checkExternalPsk, type ExternalPskConfig, type PskHashName } from "../tls/psk.ts";
import { importPrivateKeyPem } from "../tls/signatures.ts";
import { TicketIssuer } from "../tls/tickets.ts";
import { pemBlocks } from "../tls/x509.ts";
import type { PEER_FLAGS } from "./flags.ts";

export type PeerOptions = FlagValues<typeof PEER_FLAGS>;

const encoder = new TextEncoder();

async function readFile(path: string | undefined, flag: string): Promise<string | null> {
  if (path === undefined) return null;
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new FlagError(`cannot read --${flag} ${path}: ${(e as Error).message}`);
  }
}

const why = (e: unknown): string =>
  e instanceof TlsAlert ? e.reason : e instanceof Error ? e.message : String(e);

function pemCertificates(text: string, flag: string): Uint8Array[] {
  let blocks: Uint8Array[];
  try {
    blocks = pemBlocks(text, "CERTIFICATE");
  } catch (e) {
    throw new FlagError(`--${flag}: ${why(e)}`);
  }
  if (blocks.length === 0) throw new FlagError(`--${flag} holds no CERTIFICATE block`);
  return blocks;
}

async function loadCredential(o: PeerOptions): Promise<Credential | undefined> {
  const cert = await readFile(o.cert, "cert");
  const key = await readFile(o.key, "key");
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new FlagError("--cert and --key go together");
  const chain = pemCertificates(cert, "cert");
  const extra = await readFile(o.chain, "chain");
  if (extra) {
    const leafHex = chain[0].join(",");
    chain.push(...pemCertificates(extra, "chain").filter((c) => c.join(",") !== leafHex));
  }
  try {
    return { chain, key: await importPrivateKeyPem(key) };
  } catch (e) {
    throw new FlagError(`--key ${o.key}: ${why(e)}`);
  }
}

async function commonConfig(o: PeerOptions) {
  const ca = await readFile(o.ca, "ca");
  return {
    cipherSuites: o["cipher-suites"],
    signatureSchemes: o["signature-schemes"],
    trustAnchors: ca ? pemCertificates(ca, "ca") : [],
    compatibilityMode: !o["no-compat"],
    groups: o.groups,
  };
}

/** --psk-identity/--psk-key/--psk-hash/--psk-import, checked before any connection. */
function externalPsk(o: PeerOptions): ExternalPskConfig | null {
  const identity = o["psk-identity"];
  const key = o["psk-key"];
  if (identity === undefined && key === undefined) {
    for (const f of ["psk-hash", "psk-mode", "psk-import", "cert-with-psk"] as const) {
      if (o[f] !== undefined && o[f] !== false) {
        throw new FlagError(`--${f} needs --psk-identity and --psk-key`);
      }
    }
    return null;
  }
  if (identity === undefined || key === undefined) {
    throw new FlagError("--psk-identity and --psk-key go together");
  }
  const hash = o["psk-hash"] ?? "sha256";
  try {
    checkExternalPsk(identity, key, hash);
  } catch (e) {
    throw new FlagError(`--psk-*: ${why(e)}`);
  }
  return {
    identity: encoder.encode(identity),
    key: fromHex(key),
    hash: hash as PskHashName,
    imported: Boolean(o["psk-import"]),
  };
}

export async function serverConfig(o: PeerOptions): Promise<ServerConfig> {
  const certificate = await loadCredential(o);
  const psk = externalPsk(o);
  if (!certificate && !psk) throw new FlagError("a server needs --cert and --key, or a PSK");
  if (o["cert-with-psk"] && !certificate) {
    throw new FlagError("--cert-with-psk needs --cert and --key");
  }
  const tickets = o.tickets ?? 0;
  const auth = o["client-auth"] ? "require" : o["client-auth-optional"] ? "request" : "none";
  const common = await commonConfig(o);
  if (auth !== "none" && common.trustAnchors.length === 0) {
    throw new FlagError("--client-auth needs --ca to verify client certificates");
  }
  const maxEarlyData = o["max-early-data"] ?? 0;
  const mode = o["psk-mode"];
  return {
    ...common,
    certificate,
    preferHrr: Boolean(o["prefer-hrr"]),
    hrrCookie: Boolean(o["hrr-cookie"]),
    clientAuth: auth,
    psks: psk ? [psk] : undefined,
    pskModes: mode === "dhe_ke"
      ? ["psk_dhe_ke"]
      : mode === "ke"
      ? ["psk_ke", "psk_dhe_ke"]
      : undefined,
    certWithPsk: Boolean(o["cert-with-psk"]),
    // One ticket authority for every connection: tickets from one redeem on the next.
    tickets: tickets > 0 || maxEarlyData > 0
      ? new TicketIssuer({ store: o["ticket-store"] })
      : undefined,
    ticketCount: tickets,
    maxEarlyData,
  };
}

export async function clientConfig(o: PeerOptions): Promise<ClientConfig> {
  const groups = o.groups;
  const shares = o["key-shares"];
  const missing = shares?.find((g) => groups && !groups.includes(g));
  if (missing) throw new FlagError(`--key-shares ${missing} is not in --groups`);
  const common = await commonConfig(o);
  const psk = externalPsk(o);
  // A client that authenticates the server by an external PSK alone expects no certificate; with
  // RFC 9973 (or no PSK) it must be able to verify one.
  if (common.trustAnchors.length === 0 && (!psk || o["cert-with-psk"])) {
    throw new FlagError("a client needs --ca to verify the server's certificate");
  }
  if (o["resume-groups"] && !o.resume) throw new FlagError("--resume-groups needs --resume");
  const mode = o["psk-mode"];
  const early = o["early-data"];
  return {
    ...common,
    serverName: o["server-name"] ?? "127.0.0.1",
    keyShares: shares ?? groups?.slice(0, 1),
    certificate: await loadCredential(o),
    psks: psk ? [psk] : undefined,
    pskModes: mode === "ke" ? ["psk_ke"] : mode === "dhe_ke" ? ["psk_dhe_ke"] : undefined,
    certWithPsk: o["cert-with-psk"],
    earlyData: early === undefined ? undefined : encoder.encode(early),
  };
}
