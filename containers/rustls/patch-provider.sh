#!/bin/sh
# Debian packages rustls and rustls-webpki without their aws-lc-rs provider features (it builds
# them on ring, which has no ML-KEM), but still ships the provider's source. This copies both
# crates to $1 and switches the provider back on:
#   - restore the features in Cargo.toml, with aws-lc-rs' `unstable` feature on;
#   - Debian's aws-lc-rs 1.17 keeps ML-DSA under `aws_lc_rs::unstable::signature`, where this
#     rustls expects it under `aws_lc_rs::signature`: point those seven items there.
set -eu
registry=/usr/share/cargo/registry
out=$1
mkdir -p "$out"

only_one() { # the single registry directory matching a glob, or fail
  set -- $registry/$1
  [ $# -eq 1 ] && [ -d "$1" ] || { echo "expected one crate for $*" >&2; exit 1; }
  echo "$1"
}
cp -r "$(only_one 'rustls-0.23.*')" "$out/rustls"
cp -r "$(only_one 'rustls-webpki-0.103.*')" "$out/rustls-webpki"

aws_lc_rs_dependency='
[dependencies.aws-lc-rs]
version = "1.14"
optional = true
default-features = false
features = ["aws-lc-sys", "unstable"]
'

cd "$out/rustls"
sed -i 's/^\[features\]$/[features]\naws_lc_rs = ["dep:aws-lc-rs", "webpki\/aws-lc-rs"]\naws-lc-rs = ["aws_lc_rs"]\nprefer-post-quantum = ["aws_lc_rs"]/' Cargo.toml
echo "$aws_lc_rs_dependency" >> Cargo.toml
sed -i \
  -e 's/use aws_lc_rs::signature::{PqdsaKeyPair, PqdsaSigningAlgorithm};/use aws_lc_rs::unstable::signature::{PqdsaKeyPair, PqdsaSigningAlgorithm};/' \
  -e 's/&signature::ML_DSA_\([0-9]*\)_SIGNING/\&aws_lc_rs::unstable::signature::ML_DSA_\1_SIGNING/' \
  src/crypto/aws_lc_rs/sign.rs
[ "$(grep -c 'aws_lc_rs::unstable::signature' src/crypto/aws_lc_rs/sign.rs)" -eq 4 ]

cd "$out/rustls-webpki"
sed -i 's/^\[features\]$/[features]\naws-lc-rs = ["dep:aws-lc-rs"]/' Cargo.toml
echo "$aws_lc_rs_dependency" >> Cargo.toml
sed -i 's/&signature::ML_DSA_\([0-9]*\),/\&aws_lc_rs::unstable::signature::ML_DSA_\1,/' src/aws_lc_rs_algs.rs
[ "$(grep -c 'aws_lc_rs::unstable::signature' src/aws_lc_rs_algs.rs)" -eq 3 ]

echo "patched rustls and rustls-webpki in $out"
