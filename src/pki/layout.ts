// Where the test PKI lives on disk. A fixed layout, so any process (on the host or in a container
// that mounts the directory at the same path) finds a file from the root alone.

import { CERT_KINDS, type CertKind } from "../tls/names.ts";

/** Paths as seen by the process (inside its container for library peers). */
export interface PkiPaths {
  caCert: string;
  /** Leaf certificate + key per kind; the leaf file holds the leaf only (CA is caCert). */
  leaf: Record<CertKind, { cert: string; key: string; chain: string }>;
}

export const DEFAULT_PKI_DIR = ".cache/pki";

export function pkiPaths(root: string): PkiPaths {
  const leaf = {} as PkiPaths["leaf"];
  for (const kind of CERT_KINDS) {
    leaf[kind] = {
      cert: `${root}/${kind}.pem`,
      key: `${root}/${kind}.key`,
      chain: `${root}/${kind}-chain.pem`,
    };
  }
  return { caCert: `${root}/ca.pem`, leaf };
}

export type { CertKind };
