// Free TCP ports on 127.0.0.1. Parallel cells in one process must never get the same port, so a
// port is handed out once per process even after its probe socket is closed.

const handedOut = new Set<number>();

export function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return Promise.resolve(port);
    }
  }
  return Promise.reject(new Error("no free TCP port on 127.0.0.1 after 100 tries"));
}

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) return true;
    throw e;
  }
}
