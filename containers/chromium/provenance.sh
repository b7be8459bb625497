#!/bin/sh
# Writes what the image really holds as JSON: Chromium's own version line and the Debian package
# versions, so a report names the browser it measured, not the one we meant to install.
set -eu
pkg() { dpkg-query -W -f='${Version}' "$1"; }
version=$(/usr/lib/chromium/chromium --version 2>/dev/null | head -n 1 | sed "s/ *$//")
cat <<JSON
{
  "name": "Chromium",
  "version": "$version",
  "build": "Debian package; TLS by the BoringSSL bundled in Chromium's source (third_party/boringssl), certificates verified by Chromium's own verifier with the test CA trusted in an NSS database; headless, no sandbox, no QUIC",
  "packages": {
    "chromium": "$(pkg chromium)",
    "chromium-common": "$(pkg chromium-common)",
    "libnss3": "$(pkg libnss3)",
    "libnss3-tools": "$(pkg libnss3-tools)",
    "python3": "$(pkg python3)",
    "debian": "$(cat /etc/debian_version)"
  }
}
JSON
