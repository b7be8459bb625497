// TCP ports for servers on 127.0.0.1. They come from just below the kernel's ephemeral range, so
// no outgoing connection can take one between our check and the server's bind, and they are
// handed out in a cycle from a random start: parallel cells never get the same port, and a port
// comes back only after the whole range has gone round, long after its TIME_WAIT. (Asking the
// kernel for port 0 does neither: it hands the same just-closed port out again and again.)

const RANGE = 12_000;
const [FIRST, LAST] = portRange();
let next = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));

function portRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
    const low = Number(text.trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 1024) ephemeralLow = low;
  } catch { /* not Linux, or no /proc: assume the usual range */ }
  return [Math.max(1024, ephemeralLow - RANGE), ephemeralLow - 1];
}

export function freePort(): Promise<number> {
  for (let tried = 0; tried <= LAST - FIRST; tried++) {
    const port = next;
    next = next === LAST ? FIRST : next + 1;
    if (!portInUse(port)) return Promise.resolve(port);
  }
  return Promise.reject(new Error(`no free TCP port on 127.0.0.1 in ${FIRST}–${LAST}`));
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
