package main

// The JSON result line (docs/peer-contract.md): only what crypto/tls says, null where it cannot.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/mldsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"unsafe"
)

type certInfo struct {
	Subject string `json:"subject"`
	KeyType string `json:"keyType"`
}

type report struct {
	OK                bool      `json:"ok"`
	Version           *string   `json:"version"`
	Group             *string   `json:"group"`
	CipherSuite       *string   `json:"cipherSuite"`
	HelloRetryRequest *bool     `json:"helloRetryRequest"`
	Resumed           *bool     `json:"resumed"`
	PskMode           *string   `json:"pskMode"`
	SignatureScheme   *string   `json:"signatureScheme"`
	PeerCertificate   *certInfo `json:"peerCertificate"`
	Certificate       *certInfo `json:"certificate"`
	Echo              *string   `json:"echo,omitempty"`
	Alert             *string   `json:"alert"`
	AlertDirection    *string   `json:"alertDirection"`
	Error             *string   `json:"error"`
	HandshakeMs       *float64  `json:"handshakeMs"`
}

func ptr[T any](v T) *T { return &v }

func (r *report) print() {
	line, _ := json.Marshal(r)
	fmt.Fprintln(os.Stdout, string(line))
}

var versionNames = map[uint16]string{tls.VersionTLS13: "TLSv1.3", tls.VersionTLS12: "TLSv1.2"}
var suiteByID = map[uint16]string{tls.TLS_AES_128_GCM_SHA256: "TLS_AES_128_GCM_SHA256",
	tls.TLS_AES_256_GCM_SHA384:       "TLS_AES_256_GCM_SHA384",
	tls.TLS_CHACHA20_POLY1305_SHA256: "TLS_CHACHA20_POLY1305_SHA256"}

// fillState copies what ConnectionState says after a completed handshake.
func (r *report) fillState(cs tls.ConnectionState) {
	r.Version = ptr(versionNames[cs.Version])
	for name, id := range curveIDs {
		if id == cs.CurveID {
			r.Group = ptr(name)
		}
	}
	if r.Group == nil && cs.CurveID != 0 {
		r.Error = ptr(fmt.Sprintf("group %s (0x%04x)", cs.CurveID, uint16(cs.CurveID)))
	}
	if s, ok := suiteByID[cs.CipherSuite]; ok {
		r.CipherSuite = ptr(s)
	}
	r.HelloRetryRequest = ptr(cs.HelloRetryRequest)
	r.Resumed = ptr(cs.DidResume)
	r.PskMode = nil
	if cs.DidResume {
		// crypto/tls implements psk_dhe_ke only: it offers no other mode and resumes only with it.
		r.PskMode = ptr("psk_dhe_ke")
	}
	// A resumed connection carries the first one's certificates; the peer presented none now.
	if len(cs.PeerCertificates) > 0 && !cs.DidResume {
		r.PeerCertificate = describe(cs.PeerCertificates[0])
	}
	if len(cs.LocalCertificate) > 0 {
		if leaf, err := x509.ParseCertificate(cs.LocalCertificate[0]); err == nil {
			r.Certificate = describe(leaf)
		}
	}
}

func describe(cert *x509.Certificate) *certInfo {
	return &certInfo{Subject: cert.Subject.String(), KeyType: keyType(cert.PublicKey)}
}

func keyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return map[string]string{"P-256": "ecdsa-p256", "P-384": "ecdsa-p384"}[k.Curve.Params().Name]
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa%d", k.N.BitLen())
	case *mldsa.PublicKey:
		return map[mldsa.Parameters]string{mldsa.MLDSA44(): "mldsa44", mldsa.MLDSA65(): "mldsa65",
			mldsa.MLDSA87(): "mldsa87"}[k.Parameters()]
	}
	return fmt.Sprintf("%T", pub)
}

// recordingSigner wraps the server's key to learn which scheme crypto/tls signed the
// CertificateVerify with: ConnectionState does not say, but the signing options do.
type recordingSigner struct {
	crypto.Signer
	scheme *string
}

func (s *recordingSigner) SignMessage(rand io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.scheme = schemeOf(s.Public(), opts)
	return crypto.SignMessage(s.Signer, rand, msg, opts)
}

func (s *recordingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.scheme = schemeOf(s.Public(), opts)
	return s.Signer.Sign(rand, digest, opts)
}

func schemeOf(pub crypto.PublicKey, opts crypto.SignerOpts) *string {
	hashes := map[crypto.Hash]string{crypto.SHA256: "sha256", crypto.SHA384: "sha384", crypto.SHA512: "sha512"}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		curve := map[string]string{"P-256": "secp256r1", "P-384": "secp384r1", "P-521": "secp521r1"}
		return ptr("ecdsa_" + curve[k.Curve.Params().Name] + "_" + hashes[opts.HashFunc()])
	case *rsa.PublicKey:
		if _, pss := opts.(*rsa.PSSOptions); pss {
			return ptr("rsa_pss_rsae_" + hashes[opts.HashFunc()])
		}
		return ptr("rsa_pkcs1_" + hashes[opts.HashFunc()])
	}
	t := keyType(pub)
	return &t // ed25519, mldsa44/65/87: the scheme is named like the key
}

// alertOf tells which alert ended a connection. A received alert comes back as
// net.OpError{Op: "remote error"}. A sent one crypto/tls keeps only in the connection's write
// side (halfConn.err, "local error"), which has no accessor: it is read by reflection.
func alertOf(conn *tls.Conn, err error) (name, direction string, code int) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return alertName(op.Err), "received", alertCode(op.Err)
	}
	field := reflect.ValueOf(conn).Elem().FieldByName("out").FieldByName("err")
	if !field.IsValid() {
		return "", "", -1
	}
	sent, _ := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem().Interface().(error)
	if errors.As(sent, &op) && op.Op == "local error" {
		return alertName(op.Err), "sent", alertCode(op.Err)
	}
	return "", "", -1
}

// crypto/tls' alert type is an unexported uint8; its value is the alert number.
func alertCode(e error) int {
	if v := reflect.ValueOf(e); v.Kind() == reflect.Uint8 {
		return int(v.Uint())
	}
	return -1
}

var alertNames = map[int]string{0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
	50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 115: "unknown_psk_identity",
	116: "certificate_required", 117: "general_error", 120: "no_application_protocol"}

func alertName(e error) string { return alertNames[alertCode(e)] }

// fail records why a connection failed: the alert when there was one, the library's words.
func (r *report) fail(conn *tls.Conn, err error) {
	r.OK = false
	if err == nil {
		return
	}
	name, direction, code := alertOf(conn, err)
	text := err.Error()
	if name != "" {
		r.Alert, r.AlertDirection = ptr(name), ptr(direction)
	} else if code >= 0 {
		text += fmt.Sprintf(" (alert %d %s)", code, direction)
	}
	if r.Error == nil {
		r.Error = ptr(text)
	} else {
		r.Error = ptr(*r.Error + "; " + text)
	}
}
