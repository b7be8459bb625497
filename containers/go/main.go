// pqi-go: the pqinterop peer contract (docs/peer-contract.md) on Go's crypto/tls.
//
//	pqi-go server --port N --cert F --key F [flags]   listens on 127.0.0.1:N, echoes one line
//	pqi-go client --port N --ca F [flags]             sends one line, reads it back
//	pqi-go version                                    the Go release crypto/tls comes from
//
// One JSON line per connection on stdout. Exit codes: 0 all connections ok, 1 one failed,
// 2 usage error, 127 a configuration crypto/tls cannot do (last stderr line says why).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// No connection may hold the program longer than this.
const connectionTimeout = 15 * time.Second

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println("Go crypto/tls " + strings.TrimPrefix(runtime.Version(), "go"))
		return
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || (args[0] != "server" && args[0] != "client") {
		fmt.Fprintln(os.Stderr, "pqi-go: the first argument must be server, client or version")
		return 2
	}
	role := args[0]
	opts, err := parseFlags(role, args[1:])
	if err == nil {
		err = unsupported(role, opts)
	}
	ok := false
	if err == nil && role == "server" {
		ok, err = server(opts)
	} else if err == nil {
		ok, err = client(opts)
	}
	var usage usageError
	var lack unsupportedError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "pqi-go: "+err.Error())
		return 2
	case errors.As(err, &lack):
		fmt.Fprintln(os.Stderr, "unsupported: "+err.Error())
		return 127
	case err != nil:
		fmt.Fprintln(os.Stderr, "pqi-go: "+err.Error())
		return 1
	case !ok:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- server

func server(opts options) (bool, error) {
	signer := &recordingSigner{}
	cert, err := loadCertificate(opts, signer)
	if err != nil {
		return false, err
	}
	cfg := baseConfig(opts.list("groups"))
	cfg.Certificates = []tls.Certificate{*cert}
	if schemes := opts.list("signature-schemes"); schemes != nil {
		// Restricts what the server signs with; it still picks in the client's order.
		cfg.Certificates[0].SupportedSignatureAlgorithms = signatureSchemes(schemes)
	}
	if opts.has("client-auth") {
		if !opts.has("ca") {
			return false, usageError("--client-auth needs --ca")
		}
		if cfg.ClientCAs, err = certPool(opts["ca"]); err != nil {
			return false, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	// crypto/tls sends exactly one NewSessionTicket per connection, or none.
	if tickets := opts.number("tickets", 0); tickets == 0 {
		cfg.SessionTicketsDisabled = true
	} else if tickets > 1 {
		fmt.Fprintf(os.Stderr, "note: crypto/tls sends one NewSessionTicket per connection, not %d\n", tickets)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(opts.number("port", 0)))
	if err != nil {
		return false, usageError("cannot listen: " + err.Error())
	}
	defer listener.Close()
	fmt.Fprintf(os.Stderr, "listening on %s\n", listener.Addr())
	count, allOK := opts.number("count", -1), true
	for served := 0; count < 0 || served < count; served++ {
		tcp, err := listener.Accept()
		if err != nil {
			return false, err
		}
		signer.scheme = nil
		r := serveOne(tls.Server(tcp, cfg), opts.has("http"))
		r.SignatureScheme = signer.scheme
		r.print()
		allOK = allOK && r.OK
	}
	return allOK, nil
}

func serveOne(conn *tls.Conn, http bool) *report {
	defer conn.Close()
	r := &report{}
	if !handshake(conn, r) {
		return r
	}
	reader := bufio.NewReader(conn)
	var err error
	if http {
		err = answerHTTP(reader, conn)
	} else {
		var line string
		if line, err = reader.ReadString('\n'); err == nil {
			_, err = conn.Write([]byte(line))
		}
	}
	if err == nil {
		err = conn.Close() // close_notify
	}
	r.OK = err == nil
	if err != nil {
		r.fail(conn, err)
	}
	return r
}

// answerHTTP reads a request head and answers 200 with the path (without "/") as the body.
func answerHTTP(reader *bufio.Reader, conn *tls.Conn) error {
	request, err := reader.ReadString('\n')
	for line := request; err == nil && strings.TrimRight(line, "\r\n") != ""; {
		line, err = reader.ReadString('\n')
	}
	if err != nil {
		return err
	}
	fields := strings.Fields(request)
	if len(fields) < 2 {
		return fmt.Errorf("bad request line %q", request)
	}
	body := strings.TrimPrefix(fields[1], "/")
	_, err = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s", len(body), body)
	return err
}

// handshake runs the handshake under the connection deadline and fills in what it established.
func handshake(conn *tls.Conn, r *report) bool {
	conn.SetDeadline(time.Now().Add(connectionTimeout))
	ctx, cancel := context.WithTimeout(context.Background(), connectionTimeout)
	defer cancel()
	start := time.Now()
	err := conn.HandshakeContext(ctx)
	r.HandshakeMs = ptr(float64(time.Since(start).Microseconds()) / 1000)
	if err != nil {
		r.fail(conn, err)
		return false
	}
	r.fillState(conn.ConnectionState())
	return true
}

// ---------------------------------------------------------------- client

func client(opts options) (bool, error) {
	if !opts.has("ca") {
		return false, usageError("client needs --ca")
	}
	if opts.has("resume-groups") && !opts.has("resume") {
		return false, usageError("--resume-groups needs --resume")
	}
	cfg := baseConfig(opts.list("groups"))
	var err error
	if cfg.RootCAs, err = certPool(opts["ca"]); err != nil {
		return false, err
	}
	cfg.ServerName = "127.0.0.1" // an IP: no SNI, checked against the IP SAN
	if opts.has("server-name") {
		cfg.ServerName = opts["server-name"]
	}
	if opts.has("cert") || opts.has("key") {
		cert, err := loadCertificate(opts, &recordingSigner{})
		if err != nil {
			return false, err
		}
		cfg.Certificates = []tls.Certificate{*cert}
	}
	if !opts.has("resume") {
		return connectOnce(cfg, opts), nil
	}
	// One session cache for both connections: the second offers the first one's ticket.
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	first := connectOnce(cfg, opts)
	if opts.has("resume-groups") {
		cfg = cfg.Clone()
		cfg.CurvePreferences = baseConfig(opts.list("resume-groups")).CurvePreferences
	}
	second := connectOnce(cfg, opts)
	return first && second, nil
}

// connectOnce makes one connection and prints its report; true when it succeeded.
func connectOnce(cfg *tls.Config, opts options) bool {
	r := &report{}
	tcp, err := net.DialTimeout("tcp", "127.0.0.1:"+opts["port"], connectionTimeout)
	if err != nil {
		r.Error = ptr("cannot connect: " + err.Error())
		r.print()
		return false
	}
	conn := tls.Client(tcp, cfg)
	defer conn.Close()
	if !handshake(conn, r) {
		r.print()
		return false
	}
	message := "hello"
	if opts.has("message") {
		message = opts["message"]
	}
	echo, err := exchange(conn, message, opts.has("http"))
	r.Echo = ptr("none")
	if echo != nil {
		r.Echo = ptr(map[bool]string{true: "matched", false: "mismatched"}[*echo == message])
	}
	if err == nil {
		err = conn.Close() // close_notify
	}
	r.OK = err == nil
	if err != nil {
		r.fail(conn, err)
	}
	r.print()
	return r.OK && (!opts.has("expect-echo") || *r.Echo == "matched")
}

// exchange sends the message (or the HTTP request) and returns what came back.
func exchange(conn *tls.Conn, message string, http bool) (*string, error) {
	if http {
		if _, err := fmt.Fprintf(conn, "GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", message); err != nil {
			return nil, err
		}
		response, err := io.ReadAll(conn)
		if _, body, found := strings.Cut(string(response), "\r\n\r\n"); found {
			return &body, err
		}
		return nil, err
	}
	if _, err := conn.Write([]byte(message + "\n")); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\n")
	return &line, err
}

func signatureSchemes(names []string) []tls.SignatureScheme {
	ids := map[string]tls.SignatureScheme{"ecdsa_secp256r1_sha256": tls.ECDSAWithP256AndSHA256,
		"ecdsa_secp384r1_sha384": tls.ECDSAWithP384AndSHA384, "ed25519": tls.Ed25519,
		"rsa_pss_rsae_sha256": tls.PSSWithSHA256, "rsa_pss_rsae_sha384": tls.PSSWithSHA384,
		"mldsa44": tls.MLDSA44, "mldsa65": tls.MLDSA65, "mldsa87": tls.MLDSA87}
	var out []tls.SignatureScheme
	for _, n := range names {
		out = append(out, ids[n])
	}
	return out
}
