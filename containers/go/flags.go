package main

// The peer contract's command line (docs/peer-contract.md): the role, then `--flag value` or
// `--switch`. Parsing only checks form (known flag, valid names and numbers, readable files); what
// crypto/tls cannot do is decided later, in unsupported().

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

type flagSpec struct {
	roles    string // "client", "server" or "both"
	isSwitch bool
}

var contractFlags = map[string]flagSpec{
	"port": {"both", false}, "cert": {"both", false}, "key": {"both", false},
	"chain": {"both", false}, "ca": {"both", false}, "groups": {"both", false},
	"cipher-suites": {"both", false}, "signature-schemes": {"both", false},
	"psk-identity": {"both", false}, "psk-key": {"both", false}, "psk-hash": {"both", false},
	"psk-mode": {"both", false}, "psk-import": {"both", true}, "cert-with-psk": {"both", false},
	"http": {"both", true}, "prefer-hrr": {"server", true}, "client-auth": {"server", true},
	"count": {"server", false}, "tickets": {"server", false}, "max-early-data": {"server", false},
	"server-name": {"client", false}, "message": {"client", false}, "expect-echo": {"client", true},
	"key-shares": {"client", false}, "resume": {"client", true}, "resume-groups": {"client", false},
	"early-data": {"client", false},
}

// The project's names (src/tls/names.ts) and what they mean to crypto/tls.
var groupNames = []string{"x25519", "secp256r1", "secp384r1", "MLKEM512", "MLKEM768", "MLKEM1024",
	"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"}
var suiteNames = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256"}
var schemeNames = []string{"ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384", "ed25519",
	"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "mldsa44", "mldsa65", "mldsa87"}

type usageError string

func (e usageError) Error() string { return string(e) }

// options holds the flags as given: values by name, switches as "".
type options map[string]string

func (o options) has(name string) bool { _, ok := o[name]; return ok }

func parseFlags(role string, args []string) (options, error) {
	opts := options{}
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		spec, known := contractFlags[name]
		if !ok || !known || (spec.roles != "both" && spec.roles != role) {
			return nil, usageError(fmt.Sprintf("unknown %s flag %q", role, args[i]))
		}
		switch {
		case spec.isSwitch:
			opts[name] = ""
		case name == "cert-with-psk" && (i+1 == len(args) || strings.HasPrefix(args[i+1], "--")):
			opts[name] = "allow" // the server form takes no value
		case i+1 == len(args):
			return nil, usageError("--" + name + " needs a value")
		default:
			i++
			opts[name] = args[i]
		}
	}
	return opts, checkValues(opts)
}

func checkValues(opts options) error {
	lists := map[string][]string{"groups": groupNames, "resume-groups": groupNames,
		"key-shares": groupNames, "cipher-suites": suiteNames, "signature-schemes": schemeNames}
	for name, known := range lists {
		if v, ok := opts[name]; ok && !(name == "key-shares" && v == "none") {
			for _, item := range strings.Split(v, ",") {
				if !slices.Contains(known, item) {
					return usageError(fmt.Sprintf("--%s: unknown name %q (known: %s)", name, item,
						strings.Join(known, ", ")))
				}
			}
		}
	}
	for _, name := range []string{"port", "count", "tickets", "max-early-data"} {
		if v, ok := opts[name]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || (name == "port" && n > 65535) {
				return usageError(fmt.Sprintf("--%s must be a number, got %q", name, v))
			}
		}
	}
	choices := map[string][]string{"psk-hash": {"sha256", "sha384"}, "psk-mode": {"dhe_ke", "ke"},
		"cert-with-psk": {"require", "allow"}}
	for name, allowed := range choices {
		if v, ok := opts[name]; ok && !slices.Contains(allowed, v) {
			return usageError(fmt.Sprintf("--%s must be %s, got %q", name, strings.Join(allowed, " or "), v))
		}
	}
	for _, name := range []string{"cert", "key", "chain", "ca"} {
		if v, ok := opts[name]; ok {
			if _, err := os.Stat(v); err != nil {
				return usageError(fmt.Sprintf("--%s: cannot read %s", name, v))
			}
		}
	}
	return nil
}

func (o options) list(name string) []string {
	if v, ok := o[name]; ok && v != "none" {
		return strings.Split(v, ",")
	}
	return nil
}

func (o options) number(name string, fallback int) int {
	if n, err := strconv.Atoi(o[name]); err == nil {
		return n
	}
	return fallback
}
