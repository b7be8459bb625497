#!/bin/sh
# Writes what the image really holds as JSON: the NSS version the shim runs on (as NSS reports
# it) and the Debian package versions, so a report names the library it measured.
set -eu
pkg() { dpkg-query -W -f='${Version}' "$1"; }
cat <<JSON
{
  "name": "NSS",
  "version": "$(/usr/local/bin/pqi-nss version)",
  "build": "pqi-nss.c, gcc -O2 -Wall -Wextra -Werror against libnss3-dev $(cat /pqinterop/build/libnss3-dev.version) (gcc $(cat /pqinterop/build/gcc.version)); NSS_NoDB_Init, no database",
  "packages": {
    "libnss3": "$(pkg libnss3)",
    "libnspr4": "$(pkg libnspr4)",
    "libnss3-dev (build)": "$(cat /pqinterop/build/libnss3-dev.version)",
    "libc6": "$(pkg libc6)",
    "debian": "$(cat /etc/debian_version)"
  }
}
JSON
