// Where the test PKI lives on disk. A fixed layout, so any process (on the host or in a container
// that mounts the directory at the same path) finds a file from the root alone.

import { CERT_KINDS, type CertKind } from "../tls/names.ts";
import type { PkiPaths } from "../peers/types.ts";

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
