#!/bin/sh
# Writes what the image really holds as JSON: the Botan version the shim runs on (as Botan
# reports it) and the Debian package versions, so a report names the library it measured.
set -eu
pkg() { dpkg-query -W -f='${Version}' "$1"; }
lib=$(cat /pqinterop/build/libbotan.package)
cat <<JSON
{
  "name": "Botan",
  "version": "$(/usr/local/bin/pqi-botan version)",
  "build": "pqi-botan.cpp, g++ -std=c++20 -O2 against libbotan-3-dev $(cat /pqinterop/build/libbotan-3-dev.version) (g++ $(cat /pqinterop/build/gxx.version)); Debian's Botan build",
  "packages": {
    "$lib": "$(pkg "$lib")",
    "libbotan-3-dev (build)": "$(cat /pqinterop/build/libbotan-3-dev.version)",
    "libc6": "$(pkg libc6)",
    "libstdc++6": "$(pkg libstdc++6)",
    "debian": "$(cat /etc/debian_version)"
  }
}
JSON
