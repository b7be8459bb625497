#!/bin/sh
# Writes /pqinterop/provenance.json: the rustls version that was linked, how it was built, and
# the exact Debian packages and crates (from Cargo.lock) that went into the binary.
# `provenance.sh version LOCK` prints only the version line pqi-rustls reports (`pqi-rustls
# version`), for the build to compile in.
set -eu
if [ "${1:-}" = version ]; then mode=version; shift; else mode=json; fi
lock=${1:-Cargo.lock}

crate() { # version of a crate in Cargo.lock
  awk -v name="$1" '$1 == "name" && $3 == "\"" name "\"" { getline; gsub(/"/, "", $3); print $3; exit }' "$lock"
}
deb() { dpkg-query -W -f='${Version}' "$1"; }

if [ $mode = version ]; then
  echo "rustls $(crate rustls) (aws-lc-rs $(crate aws-lc-rs), aws-lc-sys $(crate aws-lc-sys))"
  exit 0
fi

mkdir -p /pqinterop
cat > /pqinterop/provenance.json <<JSON
{"name":"rustls","version":"$(crate rustls)","build":"aws-lc-rs provider; rustls features std, aws_lc_rs, prefer-post-quantum and rustls-webpki feature aws-lc-rs restored from Debian's stripped crates, aws-lc-rs feature unstable for ML-DSA; TLS 1.3 only","packages":{"librust-rustls-dev":"$(deb librust-rustls-dev)","librust-rustls-webpki-dev":"$(deb librust-rustls-webpki-dev)","librust-rustls-pki-types-dev":"$(deb librust-rustls-pki-types-dev)","librust-aws-lc-rs-dev":"$(deb librust-aws-lc-rs-dev)","librust-aws-lc-sys-dev":"$(deb librust-aws-lc-sys-dev)","rustc":"$(deb rustc)","cargo":"$(deb cargo)","crate rustls":"$(crate rustls)","crate rustls-webpki":"$(crate rustls-webpki)","crate rustls-pki-types":"$(crate rustls-pki-types)","crate aws-lc-rs":"$(crate aws-lc-rs)","crate aws-lc-sys":"$(crate aws-lc-sys)"}}
JSON
cat /pqinterop/provenance.json
