#!/bin/sh
# Writes what the image really holds as JSON: the exact `openssl version` lines and the Debian
# package versions, so a report names the library it measured, not the one we meant to install.
set -eu
field() { openssl version "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
pkg() { dpkg-query -W -f='${Version}' "$1"; }
cat <<JSON
{
  "name": "OpenSSL",
  "version": "$(field -v)",
  "build": "$(field -b); $(field -p); $(field -o)",
  "packages": {
    "openssl": "$(pkg openssl)",
    "libssl3t64": "$(pkg libssl3t64)",
    "debian": "$(cat /etc/debian_version)"
  }
}
JSON
