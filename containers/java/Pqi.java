// pqi-java: the pqinterop peer contract (docs/peer-contract.md) on Java's JSSE (SunJSSE).
//
//   java Pqi server --port N --cert F --key F [flags]   listens on 127.0.0.1:N, echoes one line
//   java Pqi client --port N --ca F [flags]             sends one line, reads it back
//   java Pqi version                                    the Java runtime JSSE comes with
//
// One JSON line per connection on stdout. Exit codes: 0 all connections ok, 1 one failed,
// 2 usage error, 127 a configuration JSSE cannot do (the last stderr line says why).
//
// JSSE's API does not say which group, signature scheme or PSK a handshake used, nor whether a
// HelloRetryRequest happened or which alert this side sent. JSSE's own debug log does: the
// program routes it (javax.net.debug set empty) into a java.util.logging handler and reads those
// facts from the messages JSSE logs about each handshake (class Observer).

import java.io.*;
import java.net.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.interfaces.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.*;
import java.util.logging.*;
import java.util.regex.*;
import javax.net.ssl.*;

public final class Pqi {
  static final int TIMEOUT_MS = 15_000;
  static final List<String> GROUPS = List.of("x25519", "secp256r1", "secp384r1", "MLKEM512",
      "MLKEM768", "MLKEM1024", "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024");
  static final List<String> SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256");
  static final List<String> SCHEMES = List.of("ecdsa_secp256r1_sha256", "ecdsa_secp384r1_sha384",
      "ed25519", "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "mldsa44", "mldsa65", "mldsa87");
  /** Contract flags: name → "server", "client" or "both"; a trailing "!" marks a switch. */
  static final Map<String, String> FLAGS = new HashMap<>();
  static {
    for (String f : ("port cert key chain ca groups cipher-suites signature-schemes psk-identity "
        + "psk-key psk-hash psk-mode psk-import! cert-with-psk http!").split(" ")) {
      FLAGS.put(f.replace("!", ""), f.endsWith("!") ? "both!" : "both");
    }
    for (String f : "prefer-hrr! client-auth! count tickets max-early-data".split(" ")) {
      FLAGS.put(f.replace("!", ""), f.endsWith("!") ? "server!" : "server");
    }
    for (String f : "server-name message expect-echo! key-shares resume! resume-groups early-data"
        .split(" ")) {
      FLAGS.put(f.replace("!", ""), f.endsWith("!") ? "client!" : "client");
    }
  }

  static final class UsageError extends Exception {
    private static final long serialVersionUID = 1;
    UsageError(String m) { super(m); }
  }

  static final class Unsupported extends Exception {
    private static final long serialVersionUID = 1;
    Unsupported(String why) { super("lacks: " + why); }
  }

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("version")) {
      System.out.println("OpenJDK " + System.getProperty("java.runtime.version") + " JSSE");
      return;
    }
    System.exit(run(args));
  }

  static int run(String[] args) {
    try {
      if (args.length == 0 || !(args[0].equals("server") || args[0].equals("client"))) {
        throw new UsageError("the first argument must be server, client or version");
      }
      String role = args[0];
      Map<String, String> opts = parseFlags(role, Arrays.copyOfRange(args, 1, args.length));
      refuseUnsupported(role, opts);
      // Both are read once, when JSSE first loads: set them before anything touches it.
      System.setProperty("jdk.tls.server.newSessionTicketCount", opts.getOrDefault("tickets", "0"));
      Observer.install();
      return (role.equals("server") ? server(opts) : client(opts)) ? 0 : 1;
    } catch (UsageError e) {
      System.err.println("pqi-java: " + e.getMessage());
      return 2;
    } catch (Unsupported e) {
      System.err.println("unsupported: " + e.getMessage());
      return 127;
    } catch (Exception e) {
      System.err.println("pqi-java: " + e);
      return 1;
    }
  }

  // ------------------------------------------------------------------ flags

  static Map<String, String> parseFlags(String role, String[] args) throws UsageError {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i].startsWith("--") ? args[i].substring(2) : "";
      String spec = FLAGS.get(name);
      if (spec == null || !(spec.startsWith("both") || spec.startsWith(role))) {
        throw new UsageError("unknown " + role + " flag \"" + args[i] + "\"");
      }
      if (spec.endsWith("!")) {
        opts.put(name, "");
      } else if (name.equals("cert-with-psk") && (i + 1 == args.length || args[i + 1].startsWith("--"))) {
        opts.put(name, "allow");
      } else if (i + 1 == args.length) {
        throw new UsageError("--" + name + " needs a value");
      } else {
        opts.put(name, args[++i]);
      }
    }
    checkList(opts, "groups", GROUPS);
    checkList(opts, "resume-groups", GROUPS);
    checkList(opts, "cipher-suites", SUITES);
    checkList(opts, "signature-schemes", SCHEMES);
    if (!"none".equals(opts.get("key-shares"))) checkList(opts, "key-shares", GROUPS);
    for (String n : List.of("port", "count", "tickets", "max-early-data")) {
      if (opts.containsKey(n) && !opts.get(n).matches("\\d{1,9}")) {
        throw new UsageError("--" + n + " must be a number, got \"" + opts.get(n) + "\"");
      }
    }
    for (String n : List.of("cert", "key", "chain", "ca")) {
      if (opts.containsKey(n) && !Files.isReadable(Path.of(opts.get(n)))) {
        throw new UsageError("--" + n + ": cannot read " + opts.get(n));
      }
    }
    return opts;
  }

  static void checkList(Map<String, String> opts, String flag, List<String> known) throws UsageError {
    for (String item : list(opts, flag)) {
      if (!known.contains(item)) {
        throw new UsageError("--" + flag + ": unknown name \"" + item + "\" (known: " + known + ")");
      }
    }
  }

  static List<String> list(Map<String, String> opts, String flag) {
    String v = opts.get(flag);
    return v == null || v.equals("none") ? List.of() : List.of(v.split(","));
  }

  static void refuseUnsupported(String role, Map<String, String> opts) throws Unsupported {
    for (String f : List.of("psk-identity", "psk-key", "psk-hash", "psk-mode", "psk-import", "cert-with-psk")) {
      if (opts.containsKey(f)) throw new Unsupported("JSSE has no API for external PSKs (only resumption)");
    }
    if (opts.containsKey("early-data") || Integer.parseInt(opts.getOrDefault("max-early-data", "0")) > 0) {
      throw new Unsupported("JSSE has no 0-RTT (early data)");
    }
    if (opts.containsKey("prefer-hrr")) {
      throw new Unsupported("a JSSE server takes the first client key share it supports; it asks by "
          + "HelloRetryRequest only when none fits, so it has no preference to enforce");
    }
    for (String s : list(opts, "signature-schemes")) {
      if (s.startsWith("mldsa")) throw new Unsupported("JSSE 25 has no ML-DSA signature schemes");
    }
  }

  // ------------------------------------------------------------------ configuration

  static SSLContext context(Map<String, String> opts, boolean needKey) throws Exception {
    KeyManager[] keys = null;
    if (opts.containsKey("cert") || opts.containsKey("key") || needKey) {
      if (!opts.containsKey("cert") || !opts.containsKey("key")) {
        throw new UsageError("--cert and --key go together");
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("me", privateKey(opts.get("key")), new char[0], chain(opts).toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(store, new char[0]);
      keys = kmf.getKeyManagers();
    }
    // Without --ca the trust store is empty rather than the JDK's cacerts (slow to load, unused).
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    if (opts.containsKey("ca")) {
      int n = 0;
      for (X509Certificate c : certificates(opts.get("ca"), "ca")) anchors.setCertificateEntry("ca" + n++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    TrustManager[] trust = tmf.getTrustManagers();
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(keys, trust, null);
    return ctx;
  }

  /** --cert (the leaf) and --chain (intermediates; the leaf, if repeated, skipped). */
  static List<X509Certificate> chain(Map<String, String> opts) throws Exception {
    List<X509Certificate> chain = new ArrayList<>(certificates(opts.get("cert"), "cert"));
    if (opts.containsKey("chain")) {
      for (X509Certificate c : certificates(opts.get("chain"), "chain")) {
        if (!c.equals(chain.get(0))) chain.add(c);
      }
    }
    if (chain.get(0).getPublicKey().getAlgorithm().startsWith("ML-DSA")) {
      throw new Unsupported("JSSE 25 has no ML-DSA signature schemes, so it cannot use an ML-DSA certificate");
    }
    return chain;
  }

  static List<X509Certificate> certificates(String path, String flag) throws Exception {
    try (InputStream in = new FileInputStream(path)) {
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) throw new UsageError("--" + flag + ": no certificate in " + path);
      return out;
    } catch (CertificateException e) {
      throw new UsageError("--" + flag + ": " + e.getMessage());
    }
  }

  /** A PKCS#8 PEM key; the algorithm is whichever KeyFactory accepts it. */
  static PrivateKey privateKey(String path) throws Exception {
    String pem = Files.readString(Path.of(path));
    Matcher m = Pattern.compile("-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----").matcher(pem);
    if (!m.find()) throw new UsageError("--key: no PRIVATE KEY block in " + path);
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    for (String alg : List.of("EC", "RSA", "Ed25519", "ML-DSA")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // not this algorithm
      }
    }
    throw new UsageError("--key: not a PKCS#8 key JSSE can read: " + path);
  }

  /** SSLParameters from the flags; TLS 1.3 only, the host name checked like HTTPS does. */
  static SSLParameters parameters(SSLContext ctx, Map<String, String> opts, List<String> groups) {
    SSLParameters p = ctx.getDefaultSSLParameters();
    p.setProtocols(new String[] {"TLSv1.3"});
    if (!groups.isEmpty()) p.setNamedGroups(groups.toArray(new String[0]));
    if (opts.containsKey("cipher-suites")) {
      p.setCipherSuites(opts.get("cipher-suites").split(","));
      p.setUseCipherSuitesOrder(true); // a server follows its own order
    }
    if (opts.containsKey("signature-schemes")) p.setSignatureSchemes(opts.get("signature-schemes").split(","));
    p.setEndpointIdentificationAlgorithm("HTTPS");
    p.setNeedClientAuth(opts.containsKey("client-auth"));
    return p;
  }

  /**
   * JSSE drops group names it does not enable without a word, and chooses key shares itself. So
   * before a real connection, a ClientHello is produced with these parameters and read back: it
   * is refused when its supported_groups differ from what was asked, or (client, --key-shares)
   * its key shares do.
   */
  static void probe(SSLContext ctx, SSLParameters p, List<String> groups, List<String> shares) throws Exception {
    if (groups == null && shares == null) return;
    SSLEngine engine = ctx.createSSLEngine("127.0.0.1", 1);
    engine.setUseClientMode(true);
    SSLParameters q = ctx.getDefaultSSLParameters();
    q.setProtocols(p.getProtocols());
    if (groups != null) q.setNamedGroups(groups.toArray(new String[0]));
    engine.setSSLParameters(q);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    List<String> offered = new ArrayList<>(), shared = new ArrayList<>();
    readClientHello(out, offered, shared);
    if (groups != null && !offered.equals(groups)) {
      List<String> dropped = new ArrayList<>(groups);
      dropped.removeAll(offered);
      throw new Unsupported("JSSE does not enable " + String.join(",", dropped) + " (it would offer "
          + offered + " for " + groups + ")");
    }
    if (shares != null && !shares.equals(shared)) {
      throw new Unsupported("a JSSE client shares the first group of each of two kinds (KEM, XDH, ECDHE): with these "
          + "groups it sends " + shared + ", not " + shares);
    }
  }

  /** supported_groups and key_share of a ClientHello record, by the project's names. */
  static void readClientHello(ByteBuffer b, List<String> groups, List<String> shares) {
    b.position(5 + 4 + 2 + 32);                  // record and handshake headers, version, random
    skip(b, b.get() & 0xff);                     // session id
    skip(b, b.getShort() & 0xffff);              // cipher suites
    skip(b, b.get() & 0xff);                     // compression methods
    int end = b.getShort() & 0xffff;
    end += b.position();
    while (b.position() < end) {
      int type = b.getShort() & 0xffff, len = b.getShort() & 0xffff, next = b.position() + len;
      if (type == 10) {
        for (int n = (b.getShort() & 0xffff) / 2; n > 0; n--) groups.add(groupName(b.getShort() & 0xffff));
      } else if (type == 51) {
        for (int stop = b.getShort() & 0xffff, from = b.position(); b.position() < from + stop; ) {
          shares.add(groupName(b.getShort() & 0xffff));
          skip(b, b.getShort() & 0xffff);
        }
      }
      b.position(next);
    }
  }

  static void skip(ByteBuffer b, int n) { b.position(b.position() + n); }

  static final int[] GROUP_CODES = {0x001d, 0x0017, 0x0018, 0x0200, 0x0201, 0x0202, 0x11ec, 0x11eb, 0x11ed};

  static String groupName(int code) {
    for (int i = 0; i < GROUP_CODES.length; i++) if (GROUP_CODES[i] == code) return GROUPS.get(i);
    return String.format("0x%04x", code);
  }

  // ------------------------------------------------------------------ what JSSE's log says

  /** Reads the facts about the current handshake from JSSE's debug log records. */
  static final class Observer {
    static final Pattern GROUP = Pattern.compile("\"server_share\": \\{\\s*\"named group\": (\\S+)");
    static final Pattern SCHEME = Pattern.compile("\"signature algorithm\": (\\S+)");
    static final Pattern FATAL = Pattern.compile("^Fatal \\((\\w+)\\): (.*)", Pattern.DOTALL);
    static Logger logger; // JUL keeps loggers weakly: hold it
    static Observer current = new Observer("client");
    /** PQI_JSSE_LOG=1 copies JSSE's log records to stderr, to see what the observer reads. */
    static final boolean ECHO = System.getenv("PQI_JSSE_LOG") != null;
    final String role;
    String group, scheme, alert, alertDirection, alertText;
    boolean hrr, resumed, keyShare;

    Observer(String role) { this.role = role; }

    static void install() {
      System.setProperty("javax.net.debug", ""); // empty: JSSE logs through System.Logger
      logger = Logger.getLogger("javax.net.ssl");
      logger.setLevel(Level.ALL);
      logger.setUseParentHandlers(false);
      logger.addHandler(new Handler() {
        public void publish(LogRecord r) { current.see(r); }
        public void flush() {}
        public void close() {}
      });
    }

    /** A fresh observer for the next connection. */
    static Observer start(String role) {
      current = new Observer(role);
      return current;
    }

    void see(LogRecord r) {
      String msg = r.getMessage(), text = r.getParameters() == null || r.getParameters().length == 0
          ? "" : String.valueOf(r.getParameters()[0]);
      if (ECHO) System.err.println("jsse: " + msg + (text.isEmpty() ? "" : "\n" + text));
      boolean client = role.equals("client");
      if (msg.startsWith(client ? "Consuming ServerHello handshake" : "Produced ServerHello handshake")) {
        if (text.startsWith("\"HelloRetryRequest\"")) {
          hrr = true;
          return;
        }
        Matcher m = GROUP.matcher(text);
        if (m.find()) group = m.group(1);
        keyShare = m.find(0);
        resumed = text.contains("\"pre_shared_key (41)\"");
      } else if (msg.startsWith("Produced HelloRetryRequest") || msg.startsWith("Consuming HelloRetryRequest")) {
        hrr = true;
      } else if (msg.startsWith(client ? "Consuming CertificateVerify" : "Produced server CertificateVerify")) {
        Matcher m = SCHEME.matcher(text);
        if (m.find()) scheme = m.group(1);
      } else if (alert == null) {
        Matcher m = FATAL.matcher(msg);
        if (m.find()) {
          alert = m.group(1).toLowerCase(Locale.ROOT);
          alertDirection = m.group(2).startsWith("Received fatal alert") ? "received" : "sent";
          alertText = m.group(2);
        }
      }
    }
  }

  // ------------------------------------------------------------------ server

  static boolean server(Map<String, String> opts) throws Exception {
    SSLContext ctx = context(opts, true);
    List<String> groups = list(opts, "groups");
    SSLParameters params = parameters(ctx, opts, groups);
    probe(ctx, params, groups.isEmpty() ? null : groups, null);
    if (opts.containsKey("client-auth") && !opts.containsKey("ca")) throw new UsageError("--client-auth needs --ca");
    int port = Integer.parseInt(opts.getOrDefault("port", "0"));
    SSLServerSocket listener;
    try {
      listener = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(port, 16, InetAddress.getByName("127.0.0.1"));
    } catch (IOException e) {
      throw new UsageError("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage());
    }
    listener.setSSLParameters(params);
    System.err.println("listening on 127.0.0.1:" + listener.getLocalPort());
    int count = Integer.parseInt(opts.getOrDefault("count", "-1"));
    boolean allOk = true;
    for (int served = 0; count < 0 || served < count; served++) {
      try (SSLSocket conn = (SSLSocket) listener.accept()) {
        Report r = serveOne(conn, opts.containsKey("http"));
        r.print();
        allOk &= r.ok;
      }
    }
    return allOk;
  }

  static Report serveOne(SSLSocket conn, boolean http) {
    Report r = new Report(Observer.start("server"));
    try {
      conn.setSoTimeout(TIMEOUT_MS);
      r.handshake(conn);
      BufferedReader in = new BufferedReader(new InputStreamReader(conn.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = conn.getOutputStream();
      if (http) {
        answerHttp(in, out);
      } else {
        String line = in.readLine();
        if (line == null) throw new EOFException("the client closed before sending a line");
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      conn.close(); // close_notify
      r.ok = true;
    } catch (Exception e) {
      r.fail(e);
    }
    return r;
  }

  /** Reads an HTTP request head; answers 200 with the path (without "/") as the body. */
  static void answerHttp(BufferedReader in, OutputStream out) throws IOException {
    String request = in.readLine();
    for (String l = request; l != null && !l.isEmpty(); l = in.readLine()) {}
    String[] parts = request == null ? new String[0] : request.split(" ");
    if (parts.length < 2) throw new IOException("bad request line: " + request);
    byte[] body = parts[1].replaceFirst("^/", "").getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + body.length
        + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  // ------------------------------------------------------------------ client

  static boolean client(Map<String, String> opts) throws Exception {
    if (!opts.containsKey("ca")) throw new UsageError("client needs --ca");
    if (opts.containsKey("resume-groups") && !opts.containsKey("resume")) {
      throw new UsageError("--resume-groups needs --resume");
    }
    // One context for both connections: its session cache carries the ticket to the second.
    SSLContext ctx = context(opts, false);
    List<String> groups = list(opts, "groups");
    SSLParameters params = parameters(ctx, opts, groups);
    probe(ctx, params, groups.isEmpty() ? null : groups,
        opts.containsKey("key-shares") ? list(opts, "key-shares") : null);
    if (!opts.containsKey("resume")) return connectOnce(ctx, params, opts);
    SSLParameters again = params;
    if (opts.containsKey("resume-groups")) {
      List<String> resumeGroups = list(opts, "resume-groups");
      again = parameters(ctx, opts, resumeGroups);
      probe(ctx, again, resumeGroups, null);
    }
    boolean first = connectOnce(ctx, params, opts);
    return connectOnce(ctx, again, opts) && first;
  }

  static boolean connectOnce(SSLContext ctx, SSLParameters params, Map<String, String> opts) {
    Report r = new Report(Observer.start("client"));
    String message = opts.getOrDefault("message", "hello");
    // The server name: SNI (JSSE sends none for an IP literal) and the name the certificate must match.
    String host = opts.getOrDefault("server-name", "127.0.0.1");
    int port = Integer.parseInt(opts.getOrDefault("port", "0"));
    try (Socket tcp = new Socket()) {
      tcp.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
      tcp.setSoTimeout(TIMEOUT_MS);
      SSLSocket conn = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, host, port, true);
      conn.setSSLParameters(params);
      r.handshake(conn);
      r.echo = "none";
      String echo = exchange(conn, message, opts.containsKey("http"));
      if (echo != null) r.echo = echo.equals(message) ? "matched" : "mismatched";
      conn.close(); // close_notify
      r.ok = true;
    } catch (Exception e) {
      r.fail(e);
    }
    r.print();
    return r.ok && (!opts.containsKey("expect-echo") || "matched".equals(r.echo));
  }

  /** Sends the line (or the HTTP request) and returns what came back, null for nothing. */
  static String exchange(SSLSocket conn, String message, boolean http) throws IOException {
    OutputStream out = conn.getOutputStream();
    InputStream in = conn.getInputStream();
    if (http) {
      out.write(("GET /" + message + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int body = response.indexOf("\r\n\r\n");
      return body < 0 ? null : response.substring(body + 4);
    }
    out.write((message + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
  }

  // ------------------------------------------------------------------ the JSON line

  static final class Report {
    final Observer seen;
    boolean ok, handshakeDone;
    String version, cipherSuite, echo, error, peerSubject, peerKey, ownSubject, ownKey;
    double handshakeMs = -1;

    Report(Observer seen) { this.seen = seen; }

    void handshake(SSLSocket conn) throws IOException {
      long start = System.nanoTime();
      try {
        conn.startHandshake();
      } finally {
        handshakeMs = (System.nanoTime() - start) / 1e6;
      }
      handshakeDone = true;
      SSLSession s = conn.getSession();
      version = s.getProtocol();
      cipherSuite = s.getCipherSuite();
      java.security.cert.Certificate[] mine = s.getLocalCertificates();
      if (mine != null && !seen.resumed) {
        ownSubject = ((X509Certificate) mine[0]).getSubjectX500Principal().getName();
        ownKey = keyType(mine[0].getPublicKey());
      }
      try {
        X509Certificate peer = (X509Certificate) s.getPeerCertificates()[0];
        if (!seen.resumed) { // a resumed session repeats the first connection's certificate
          peerSubject = peer.getSubjectX500Principal().getName();
          peerKey = keyType(peer.getPublicKey());
        }
      } catch (SSLPeerUnverifiedException e) {
        // the peer presented none
      }
    }

    void fail(Exception e) {
      ok = false;
      error = String.valueOf(e.getMessage()).replace('\n', ' ');
    }

    static String keyType(PublicKey k) {
      if (k instanceof ECPublicKey ec) return "ecdsa-p" + ec.getParams().getCurve().getField().getFieldSize();
      if (k instanceof RSAPublicKey rsa) return "rsa" + rsa.getModulus().bitLength();
      if (k instanceof EdECPublicKey ed) return ed.getParams().getName().toLowerCase(Locale.ROOT);
      return k.getAlgorithm().toLowerCase(Locale.ROOT).replace("-", "");
    }

    void print() {
      boolean resumed = handshakeDone && seen.resumed;
      StringBuilder j = new StringBuilder("{");
      field(j, "ok", ok);
      field(j, "version", version);
      field(j, "group", seen.group);
      field(j, "cipherSuite", cipherSuite);
      field(j, "helloRetryRequest", handshakeDone ? seen.hrr : null);
      field(j, "resumed", handshakeDone ? resumed : null);
      field(j, "pskMode", resumed ? (seen.keyShare ? "psk_dhe_ke" : "psk_ke") : null);
      field(j, "signatureScheme", seen.scheme);
      j.append("\"peerCertificate\":").append(cert(peerSubject, peerKey)).append(',');
      j.append("\"certificate\":").append(cert(ownSubject, ownKey)).append(',');
      if (echo != null) field(j, "echo", echo);
      field(j, "alert", seen.alert);
      field(j, "alertDirection", seen.alertDirection);
      field(j, "error", error);
      j.append("\"handshakeMs\":").append(handshakeMs < 0 ? "null" : String.format(Locale.ROOT, "%.3f", handshakeMs));
      System.out.println(j.append('}'));
    }

    static String cert(String subject, String key) {
      return subject == null ? "null" : "{\"subject\":" + quote(subject) + ",\"keyType\":" + quote(key) + "}";
    }

    static void field(StringBuilder j, String name, Object value) {
      j.append(quote(name)).append(':');
      j.append(value == null ? "null" : value instanceof Boolean ? value.toString() : quote(value.toString()));
      j.append(',');
    }

    static String quote(String s) {
      StringBuilder q = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\') q.append('\\').append(c);
        else if (c < 0x20) q.append(String.format("\\u%04x", (int) c));
        else q.append(c);
      }
      return q.append('"').toString();
    }
  }
}
