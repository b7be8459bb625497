#!/bin/sh
# Writes /pqinterop/provenance.json: the OTP and ssl versions (and the libcrypto OTP's crypto
# uses), how the shim runs, and the Debian packages that went in.
set -eu
deb() { dpkg-query -W -f='${Version}' "$1"; }
mkdir -p /pqinterop
cat > /pqinterop/provenance.json <<JSON
{"name":"Erlang/OTP ssl","version":"$(/usr/local/bin/pqi-erlang version)","build":"pqi.erl compiled with erlc $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().'); run with erl -noshell +A 0 +S 1:1 +sbwt none; TLS 1.3 only","packages":{"erlang-base":"$(deb erlang-base)","erlang-ssl":"$(deb erlang-ssl)","erlang-crypto":"$(deb erlang-crypto)","erlang-public-key":"$(deb erlang-public-key)","libssl3t64":"$(deb libssl3t64)","libc6":"$(deb libc6)","debian":"$(cat /etc/debian_version)"}}
JSON
cat /pqinterop/provenance.json
