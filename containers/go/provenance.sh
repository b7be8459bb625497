#!/bin/sh
# Writes /pqinterop/provenance.json in the build stage: the Go release the binary was built with
# (crypto/tls is part of it), how it was built, and the Debian packages that went in.
set -eu
deb() { dpkg-query -W -f='${Version}' "$1"; }
mkdir -p /pqinterop
cat > /pqinterop/provenance.json <<JSON
{"name":"Go crypto/tls","version":"$(/usr/local/bin/pqi-go version)","build":"$(go version); CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off go build -trimpath (standard library only); TLS 1.3 only","packages":{"golang-1.27-go":"$(deb golang-1.27-go)","golang-1.27-src":"$(deb golang-1.27-src)","debian":"$(cat /etc/debian_version)"}}
JSON
cat /pqinterop/provenance.json
