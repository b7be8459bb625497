#!/bin/sh
# Runs pqi-chromium against `openssl s_server -WWW` (the pqinterop/openssl image) once per
# server configuration and prints what each side saw. By hand, from the worktree root:
#   sh containers/chromium/test/against-openssl.sh PORT 'SERVER ARGS' [CLIENT ARGS]
# e.g. sh containers/chromium/test/against-openssl.sh 22010 '-groups MLKEM1024' --resume
# SERVER ARGS go to s_server after -cert/-key (default leaf ecdsa-p256; CERT=kind overrides).
set -eu
port=$1; server_args=$2; shift 2
pki=$PWD/.cache/pki
cert=${CERT:-ecdsa-p256}
openssl_image=${OPENSSL_IMAGE:-$(docker images --format '{{.Repository}}:{{.Tag}}' pqinterop/openssl | head -n 1)}
www=$(mktemp -d)
printf hello > "$www/hello"
naccept=1
case " $* " in *" --resume "*) naccept=2 ;; esac
docker run --rm --network host -v "$pki:$pki:ro" -v "$www:/www:ro" -w /www "$openssl_image" \
  timeout 30 openssl s_server -accept "127.0.0.1:$port" -naccept "$naccept" -tls1_3 -WWW \
  -cert "$pki/$cert.pem" -key "$pki/$cert.key" $server_args -trace > "$www/server.log" 2>&1 &
sleep 1.5
start=$(date +%s.%N)
docker run --rm --network host -v "$pki:$pki:ro" pqinterop-dev/chromium \
  pqi-chromium client --port "$port" --ca "$pki/ca.pem" --http --message hello "$@" || echo "exit $?"
end=$(date +%s.%N)
echo "client took $(echo "$end - $start" | bc) s (docker run included)"
sleep 0.5
grep -E 'ServerHello|HelloRetryRequest|NamedGroup|key_share|Cipher Suite|Alert|ERROR|error' "$www/server.log" | sort | uniq -c | head -20
[ -n "${KEEP_LOG:-}" ] && cp "$www/server.log" "$KEEP_LOG"
rm -rf "$www"
