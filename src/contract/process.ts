// How a side of a cell is started: the context the runner gives (port, PKI, a token) and the
// program an implementation asks for in return.

import type { PkiPaths } from "../pki/layout.ts";

export interface CellContext {
  /** Where the server listens, or where the client connects (both on 127.0.0.1). */
  port: number;
  serverName: "localhost";
  pki: PkiPaths;
  /** A short unique token: scratch file names, the line the client sends. */
  token: string;
  /** A writable directory for the process (session files, tickets). */
  scratch: string;
  /** The exchange is one HTTP/1.1 request (the client is a browser) instead of an echoed line. */
  http?: boolean;
}

export interface ProcessSpec {
  argv: string[];
  env?: Record<string, string>;
  /** Server: a line matching this on stdout/stderr means it is listening. */
  ready?: RegExp;
  /** Text written to the process' stdin (clients that read the request from stdin). */
  stdin?: string;
}
