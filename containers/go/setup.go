package main

// Turning the contract's flags into a crypto/tls Config, and refusing (exit 127) what crypto/tls
// cannot do instead of running a different configuration.

import (
	"crypto"
	"crypto/mldsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

var curveIDs = map[string]tls.CurveID{
	"x25519": tls.X25519, "secp256r1": tls.CurveP256, "secp384r1": tls.CurveP384,
	"MLKEM1024": tls.MLKEM1024, "X25519MLKEM768": tls.X25519MLKEM768,
	"SecP256r1MLKEM768": tls.SecP256r1MLKEM768, "SecP384r1MLKEM1024": tls.SecP384r1MLKEM1024,
}

// goGroupOrder is crypto/tls' fixed preference order (curvePreferenceOrder in defaults.go): a
// client lists its groups in this order and shares the first; CurvePreferences' order is ignored.
var goGroupOrder = []string{"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024",
	"MLKEM1024", "x25519", "secp256r1", "secp384r1"}

// hybridComponent: a client whose first group is a hybrid also shares its classical component
// when that group is enabled too (makeClientHello in handshake_client.go).
var hybridComponent = map[string]string{"X25519MLKEM768": "x25519",
	"SecP256r1MLKEM768": "secp256r1", "SecP384r1MLKEM1024": "secp384r1"}

type unsupportedError string

func (e unsupportedError) Error() string { return string(e) }

func lacks(why string) error { return unsupportedError("lacks: " + why) }

// unsupported names the first requested thing crypto/tls cannot do, or nil.
func unsupported(role string, opts options) error {
	for _, name := range []string{"psk-identity", "psk-key", "psk-hash", "psk-mode", "psk-import",
		"cert-with-psk"} {
		if opts.has(name) {
			return lacks("crypto/tls has no external PSK API (only resumption tickets)")
		}
	}
	for _, flag := range []string{"groups", "resume-groups", "key-shares"} {
		for _, g := range opts.list(flag) {
			if _, ok := curveIDs[g]; !ok {
				return lacks("crypto/tls implements no " + g + " (of the pure ML-KEM groups only MLKEM1024)")
			}
		}
	}
	if opts.has("cipher-suites") {
		return lacks("TLS 1.3 cipher suites are not configurable in crypto/tls (Config.CipherSuites is TLS 1.2 only)")
	}
	if opts.has("prefer-hrr") {
		return lacks("a crypto/tls server has a fixed preference (any post-quantum group, then a group the client shared); it has no order of its own to enforce by HelloRetryRequest")
	}
	if opts.number("max-early-data", 0) > 0 || opts.has("early-data") {
		return lacks("crypto/tls has no 0-RTT over TCP (early data exists only for QUIC)")
	}
	if role == "client" && opts.has("signature-schemes") {
		return lacks("a crypto/tls client always offers its built-in signature_algorithms list")
	}
	if role == "client" && opts.has("key-shares") {
		want, sent := opts.list("key-shares"), clientKeyShares(opts.list("groups"))
		if !slices.Equal(want, sent) {
			return lacks(fmt.Sprintf("a crypto/tls client shares its first group in its own fixed order (plus a hybrid's classical component): with these groups it sends [%s], not [%s]",
				strings.Join(sent, ","), strings.Join(want, ",")))
		}
	}
	return nil
}

// clientKeyShares is what a crypto/tls client puts in key_share for these groups (nil: default).
func clientKeyShares(groups []string) []string {
	if groups == nil {
		groups = []string{"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "x25519",
			"secp256r1", "secp384r1"}
	}
	for _, g := range goGroupOrder {
		if slices.Contains(groups, g) {
			if c, ok := hybridComponent[g]; ok && slices.Contains(groups, c) {
				return []string{g, c}
			}
			return []string{g}
		}
	}
	return nil
}

// baseConfig: TLS 1.3 only (the project's scope), groups when named. crypto/tls would silently
// skip names it does not implement; unsupported() has refused those already.
func baseConfig(groups []string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}
	for _, g := range groups {
		cfg.CurvePreferences = append(cfg.CurvePreferences, curveIDs[g])
	}
	return cfg
}

func certPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--ca: " + err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, usageError("--ca: no certificate in " + path)
	}
	return pool, nil
}

// loadCertificate reads --cert (leaf), --chain (intermediates, the leaf skipped) and --key.
func loadCertificate(opts options, signer *recordingSigner) (*tls.Certificate, error) {
	if !opts.has("cert") || !opts.has("key") {
		return nil, usageError("--cert and --key go together")
	}
	chain, err := pemBlocks(opts["cert"], "CERTIFICATE", "cert")
	if err != nil {
		return nil, err
	}
	if opts.has("chain") {
		extra, err := pemBlocks(opts["chain"], "CERTIFICATE", "chain")
		if err != nil {
			return nil, err
		}
		for _, der := range extra {
			if !slices.Equal(der, chain[0]) {
				chain = append(chain, der)
			}
		}
	}
	keys, err := pemBlocks(opts["key"], "PRIVATE KEY", "key")
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keys[0])
	if err != nil {
		return nil, usageError("--key: " + err.Error())
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, usageError("--cert: " + err.Error())
	}
	signer.Signer = key
	return &tls.Certificate{Certificate: chain, PrivateKey: signer, Leaf: leaf}, nil
}

func pemBlocks(path, kind, flag string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--%s: %v", flag, err))
	}
	var blocks [][]byte
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == kind {
			blocks = append(blocks, block.Bytes)
		}
	}
	if len(blocks) == 0 {
		return nil, usageError(fmt.Sprintf("--%s: no %s block in %s", flag, kind, path))
	}
	return blocks, nil
}

// parsePrivateKey reads PKCS#8. crypto/x509 takes ML-DSA keys in the seed-only form, so the
// "both" form (seed and expanded key) the test PKI writes is reduced to its seed here.
func parsePrivateKey(der []byte) (crypto.Signer, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return mldsaFromBothForm(der, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("a %T cannot sign", key)
	}
	return signer, nil
}

var mldsaOIDs = map[string]func() mldsa.Parameters{"2.16.840.1.101.3.4.3.17": mldsa.MLDSA44,
	"2.16.840.1.101.3.4.3.18": mldsa.MLDSA65, "2.16.840.1.101.3.4.3.19": mldsa.MLDSA87}

func mldsaFromBothForm(der []byte, parseErr error) (crypto.Signer, error) {
	var p8 struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	var both struct{ Seed, Expanded []byte }
	if _, err := asn1.Unmarshal(der, &p8); err != nil {
		return nil, parseErr
	}
	params, ok := mldsaOIDs[p8.Algorithm.Algorithm.String()]
	if !ok {
		return nil, parseErr
	}
	if _, err := asn1.Unmarshal(p8.PrivateKey, &both); err != nil || len(both.Seed) != mldsa.PrivateKeySize {
		return nil, errors.Join(parseErr, errors.New("not an ML-DSA seed-and-expanded key either"))
	}
	return mldsa.NewPrivateKey(params(), both.Seed)
}
