#!/bin/sh
# provenance.sh PQI_WOLFSSL: writes /out/pqinterop/provenance.json, what the image really holds:
# the wolfSSL version as the linked library reports it (pqi-wolfssl version ->
# wolfSSL_lib_version), the configure flags it was built with, and the Debian package versions that
# went in (the sid source package the tarball came from, the compiler and C library).
set -eu
pkg() { dpkg-query -W -f='${Version}' "$1"; }
mkdir -p /out/pqinterop
cat > /out/pqinterop/provenance.json <<JSON
{"name":"wolfSSL","version":"$("$1" version)","build":"configure $(echo $WOLFSSL_CONFIGURE); pqi-wolfssl linked statically against libwolfssl.a","packages":{"wolfssl (sid source)":"$(cat /src/DEBIAN_VERSION)","wolfssl tarball":"$(cat /src/TARBALL)","gcc":"$(pkg gcc)","libc6":"$(pkg libc6)","debian":"$(cat /etc/debian_version)"}}
JSON
cat /out/pqinterop/provenance.json
