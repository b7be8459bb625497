// What a report says about each implementation it ran: the exact library, how it was built, and
// where it came from, so no result is ever separated from the version that produced it.

export interface Provenance {
  id: string;
  name: string;
  /** The exact library version, e.g. "OpenSSL 3.5.4 30 Sep 2025". */
  version: string;
  /** Configure/build flags or features. */
  build: string;
  /** Debian package versions or crate versions that went into the image. */
  packages: Record<string, string>;
  /** Image id (sha256:…) and tag, or null for the in-process TypeScript peer. */
  image: { id: string; tag: string } | null;
  /** For manifest implementations: the manifest file and a hash of its content. */
  manifest?: { path: string; sha256: string };
}
