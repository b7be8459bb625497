#!/bin/sh
# Writes what the image really holds as JSON: the version as the linked library reports it
# (OpenSSL_version(OPENSSL_VERSION), through `pqi-openssl version`), how it was built, and the
# Debian package versions, so a report names the library it measured, not the one we meant to
# install.
set -eu
esc() { sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n' ';' | sed 's/;$//; s/;/; /g'; }
pkg() { dpkg-query -W -f='${Version}' "$1"; }
cat <<JSON
{
  "name": "OpenSSL",
  "version": "$(pqi-openssl version | esc)",
  "build": "$(pqi-openssl build-info | esc); pqi-openssl built with gcc -O2 against these headers",
  "packages": {
    "libssl3t64": "$(pkg libssl3t64)",
    "openssl": "$(pkg openssl)",
    "debian": "$(cat /etc/debian_version)"
  }
}
JSON
