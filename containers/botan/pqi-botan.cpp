// pqi-botan: the pqinterop peer contract (docs/peer-contract.md) on Botan's TLS 1.3 API.
//
//   pqi-botan server --port P --cert F --key F [flags]   listens on 127.0.0.1:P
//   pqi-botan client --port P --ca F [flags]             connects to 127.0.0.1:P
//   pqi-botan version                                    the Botan version the program runs on
//
// Botan's TLS channel is a state machine: we read the socket and hand it the bytes, it hands
// back bytes to write (tls_emit_data) and events (callbacks). Everything in the JSON line comes
// from those events: the Session_Summary, the handshake messages Botan shows us
// (tls_inspect_handshake_msg), the alerts it reports or throws. The same source builds
// against Botan 3.7 (Debian trixie) and 3.13 (sid); what 3.7 lacks is behind BOTAN_VERSION_CODE.

#include <botan/auto_rng.h>
#include <botan/certstor.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/hex.h>
#include <botan/pkcs8.h>
#include <botan/tls_alert.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_external_psk.h>
#include <botan/tls_messages.h>
#include <botan/tls_policy.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager_memory.h>
#include <botan/version.h>
#include <botan/x509cert.h>
#if __has_include(<botan/tls_messages_13.h>)
   #include <botan/tls_messages_13.h>
#endif

#define HAS_PSK_IMPORTER (BOTAN_VERSION_CODE >= BOTAN_VERSION_CODE_FOR(3, 12, 0))
// secp384r1/ML-KEM-1024 came in 3.8.0. Botan 3.7 does not know the codepoint, yet
// Group_Params::is_available() answers true for it (and the client then sends a broken share).
#define HAS_P384_HYBRID (BOTAN_VERSION_CODE >= BOTAN_VERSION_CODE_FOR(3, 8, 0))
#if HAS_PSK_IMPORTER
   #include <botan/tls_psk_13.h>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace TLS = Botan::TLS;

namespace {

// A peer that stops talking must not hold a connection: every wait is bounded by this.
constexpr int CONNECTION_TIMEOUT_MS = 15000;

// ------------------------------------------------------------------ names

struct Name {
   const char* name;
   uint16_t code;
};

const std::vector<Name> GROUPS = {
   {"x25519", 0x001d},
   {"secp256r1", 0x0017},
   {"secp384r1", 0x0018},
   {"MLKEM512", 0x0200},
   {"MLKEM768", 0x0201},
   {"MLKEM1024", 0x0202},
   {"X25519MLKEM768", 0x11ec},
   {"SecP256r1MLKEM768", 0x11eb},
   {"SecP384r1MLKEM1024", 0x11ed},
};

const std::vector<Name> SUITES = {
   {"TLS_AES_128_GCM_SHA256", 0x1301},
   {"TLS_AES_256_GCM_SHA384", 0x1302},
   {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
};

// The contract's schemes come first: only those are accepted in --signature-schemes.
constexpr size_t CONTRACT_SCHEMES = 8;
const std::vector<Name> SCHEMES = {
   {"ecdsa_secp256r1_sha256", 0x0403}, {"ecdsa_secp384r1_sha384", 0x0503}, {"ed25519", 0x0807},
   {"rsa_pss_rsae_sha256", 0x0804},    {"rsa_pss_rsae_sha384", 0x0805},    {"mldsa44", 0x0904},
   {"mldsa65", 0x0905},                {"mldsa87", 0x0906},                {"rsa_pkcs1_sha256", 0x0401},
   {"rsa_pkcs1_sha384", 0x0501},       {"rsa_pkcs1_sha512", 0x0601},       {"ecdsa_secp521r1_sha512", 0x0603},
   {"rsa_pss_rsae_sha512", 0x0806},    {"ed448", 0x0808},
};

const std::vector<Name> ALERTS = {
   {"close_notify", 0},
   {"unexpected_message", 10},
   {"bad_record_mac", 20},
   {"record_overflow", 22},
   {"handshake_failure", 40},
   {"bad_certificate", 42},
   {"unsupported_certificate", 43},
   {"certificate_revoked", 44},
   {"certificate_expired", 45},
   {"certificate_unknown", 46},
   {"illegal_parameter", 47},
   {"unknown_ca", 48},
   {"access_denied", 49},
   {"decode_error", 50},
   {"decrypt_error", 51},
   {"protocol_version", 70},
   {"insufficient_security", 71},
   {"internal_error", 80},
   {"inappropriate_fallback", 86},
   {"user_canceled", 90},
   {"missing_extension", 109},
   {"unsupported_extension", 110},
   {"unrecognized_name", 112},
   {"bad_certificate_status_response", 113},
   {"unknown_psk_identity", 115},
   {"certificate_required", 116},
   {"general_error", 117},
   {"no_application_protocol", 120},
};

std::optional<std::string> name_of(const std::vector<Name>& table, uint16_t code) {
   for(const auto& n : table) {
      if(n.code == code) {
         return n.name;
      }
   }
   return std::nullopt;
}

// ------------------------------------------------------------------ exits

std::string role_name = "pqi-botan";

[[noreturn]] void usage_error(const std::string& what) {
   std::cerr << role_name << ": " << what << std::endl;
   std::exit(2);
}

// Exit 127: a configuration Botan (lacks) or this program (shim) cannot do.
[[noreturn]] void unsupported(const std::string& whose, const std::string& why) {
   std::cerr << "unsupported: " << whose << ": " << why << std::endl;
   std::exit(127);
}

// ------------------------------------------------------------------ flags

struct Options {
      bool server = false;
      int port = -1;
      std::string cert, key, chain, ca;
      std::optional<std::vector<uint16_t>> groups, key_shares, resume_groups, suites, schemes;
      std::optional<std::string> psk_identity, psk_key, psk_hash, psk_mode, cert_with_psk;
      bool psk_import = false, http = false, prefer_hrr = false, client_auth = false;
      int count = -1, tickets = 0, max_early_data = 0;
      std::string server_name = "127.0.0.1", message = "hello";
      std::optional<std::string> early_data;
      bool expect_echo = false, resume = false;
};

std::vector<uint16_t> parse_list(const std::string& flag,
                                 const std::string& value,
                                 const std::vector<Name>& table,
                                 size_t known,
                                 bool allow_none) {
   std::vector<uint16_t> out;
   if(allow_none && value == "none") {
      return out;
   }
   std::stringstream items(value);
   std::string item;
   while(std::getline(items, item, ',')) {
      if(item.empty()) {
         continue;
      }
      bool found = false;
      for(size_t i = 0; i < known; ++i) {
         if(item == table[i].name) {
            out.push_back(table[i].code);
            found = true;
         }
      }
      if(!found) {
         usage_error("unknown name \"" + item + "\" in --" + flag);
      }
   }
   return out;
}

int parse_int(const std::string& flag, const std::string& value) {
   char* end = nullptr;
   const long n = std::strtol(value.c_str(), &end, 10);
   if(value.empty() || *end != 0 || n < 0 || n > 65535) {
      usage_error("--" + flag + " must be a number 0..65535, got \"" + value + "\"");
   }
   return static_cast<int>(n);
}

std::string parse_choice(const std::string& flag, const std::string& value, const char* a, const char* b) {
   if(value != a && value != b) {
      usage_error("--" + flag + " must be " + a + " or " + b + ", got \"" + value + "\"");
   }
   return value;
}

std::string parse_file(const std::string& flag, const std::string& path) {
   std::ifstream in(path);
   if(!in) {
      usage_error("cannot read --" + flag + " " + path + ": " + std::strerror(errno));
   }
   return path;
}

Options parse_args(int argc, char** argv) {
   Options o;
   o.server = std::string(argv[1]) == "server";
   // name → (roles: 1 server, 2 client, 3 both; takes a value)
   const std::map<std::string, std::pair<int, bool>> flags = {
      {"port", {3, true}},          {"cert", {3, true}},           {"key", {3, true}},
      {"chain", {3, true}},         {"ca", {3, true}},             {"groups", {3, true}},
      {"cipher-suites", {3, true}}, {"signature-schemes", {3, true}}, {"psk-identity", {3, true}},
      {"psk-key", {3, true}},       {"psk-hash", {3, true}},       {"psk-mode", {3, true}},
      {"psk-import", {3, false}},   {"cert-with-psk", {3, true}},  {"http", {3, false}},
      {"prefer-hrr", {1, false}},   {"client-auth", {1, false}},   {"count", {1, true}},
      {"tickets", {1, true}},       {"max-early-data", {1, true}}, {"server-name", {2, true}},
      {"message", {2, true}},       {"expect-echo", {2, false}},   {"key-shares", {2, true}},
      {"resume", {2, false}},       {"resume-groups", {2, true}},  {"early-data", {2, true}},
   };
   const int role = o.server ? 1 : 2;
   for(int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto flag = arg.rfind("--", 0) == 0 ? flags.find(arg.substr(2)) : flags.end();
      if(flag == flags.end() || !(flag->second.first & role)) {
         usage_error("unknown " + std::string(argv[1]) + " flag \"" + arg + "\"");
      }
      const std::string& name = flag->first;
      std::string v;
      // --cert-with-psk's value is optional (server: accept it).
      if(name == "cert-with-psk" &&
         (i + 1 >= argc || (std::string(argv[i + 1]) != "require" && std::string(argv[i + 1]) != "allow"))) {
         o.cert_with_psk = "require";
         continue;
      }
      if(flag->second.second) {
         if(i + 1 >= argc) {
            usage_error("--" + name + " needs a value");
         }
         v = argv[++i];
      }
      if(name == "port") o.port = parse_int(name, v);
      else if(name == "cert") o.cert = parse_file(name, v);
      else if(name == "key") o.key = parse_file(name, v);
      else if(name == "chain") o.chain = parse_file(name, v);
      else if(name == "ca") o.ca = parse_file(name, v);
      else if(name == "groups") o.groups = parse_list(name, v, GROUPS, GROUPS.size(), false);
      else if(name == "key-shares") o.key_shares = parse_list(name, v, GROUPS, GROUPS.size(), true);
      else if(name == "resume-groups") o.resume_groups = parse_list(name, v, GROUPS, GROUPS.size(), false);
      else if(name == "cipher-suites") o.suites = parse_list(name, v, SUITES, SUITES.size(), false);
      else if(name == "signature-schemes") o.schemes = parse_list(name, v, SCHEMES, CONTRACT_SCHEMES, false);
      else if(name == "psk-identity") o.psk_identity = v;
      else if(name == "psk-key") o.psk_key = v;
      else if(name == "psk-hash") o.psk_hash = parse_choice(name, v, "sha256", "sha384");
      else if(name == "psk-mode") o.psk_mode = parse_choice(name, v, "dhe_ke", "ke");
      else if(name == "cert-with-psk") o.cert_with_psk = v;
      else if(name == "psk-import") o.psk_import = true;
      else if(name == "http") o.http = true;
      else if(name == "prefer-hrr") o.prefer_hrr = true;
      else if(name == "client-auth") o.client_auth = true;
      else if(name == "count") o.count = parse_int(name, v);
      else if(name == "tickets") o.tickets = parse_int(name, v);
      else if(name == "max-early-data") o.max_early_data = parse_int(name, v);
      else if(name == "server-name") o.server_name = v;
      else if(name == "message") o.message = v;
      else if(name == "expect-echo") o.expect_echo = true;
      else if(name == "resume") o.resume = true;
      else if(name == "early-data") o.early_data = v;
   }
   return o;
}

// Combinations the contract forbids: exit 2 before anything starts.
void check_options(const Options& o) {
   if(o.port < 0) {
      usage_error(std::string(o.server ? "server" : "client") + " needs --port");
   }
   if(o.cert.empty() != o.key.empty()) {
      usage_error("--cert and --key go together");
   }
   if(o.psk_identity.has_value() != o.psk_key.has_value()) {
      usage_error("--psk-identity and --psk-key go together");
   }
   if(!o.psk_key && (o.psk_hash || o.psk_mode || o.psk_import || o.cert_with_psk)) {
      usage_error("--psk-hash/--psk-mode/--psk-import/--cert-with-psk need --psk-identity and --psk-key");
   }
   if(o.psk_key) {
      const auto& k = *o.psk_key;
      if(k.empty() || k.size() % 2 || k.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
         usage_error("--psk-key must be hex, got \"" + k + "\"");
      }
      if(o.psk_identity->empty()) {
         usage_error("--psk-identity must not be empty");
      }
   }
   if(o.server) {
      if(o.cert.empty() && !o.psk_key) {
         usage_error("server needs --cert and --key, or a PSK");
      }
      if(o.client_auth && o.ca.empty()) {
         usage_error("--client-auth needs --ca");
      }
   } else {
      if(o.ca.empty()) {
         usage_error("client needs --ca");
      }
      if(o.resume_groups && !o.resume) {
         usage_error("--resume-groups needs --resume");
      }
      if(o.key_shares && o.groups) {
         for(auto g : *o.key_shares) {
            if(std::find(o.groups->begin(), o.groups->end(), g) == o.groups->end()) {
               usage_error("--key-shares " + *name_of(GROUPS, g) + " is not in --groups");
            }
         }
      }
   }
}

TLS::Group_Params group_params(uint16_t code) {
   return TLS::Group_Params(static_cast<TLS::Group_Params_Code>(code));
}

// What this Botan cannot do at all: exit 127.
void check_supported(const Options& o) {
   const std::string version = Botan::short_version_string();
   for(const auto* list : {&o.groups, &o.key_shares, &o.resume_groups}) {
      for(auto g : list->value_or(std::vector<uint16_t>{})) {
         // Group_Params::is_available: the group is known and its algorithms are built in.
         if(!group_params(g).is_available() || (g == 0x11ed && !HAS_P384_HYBRID)) {
            unsupported("lacks", "Botan " + version + " has no group " + *name_of(GROUPS, g));
         }
      }
   }
   if(o.psk_import && !HAS_PSK_IMPORTER) {
      unsupported("lacks", "Botan " + version + " has no RFC 9258 PSK importer (added in 3.12)");
   }
   if(o.cert_with_psk) {
      unsupported("lacks", "Botan does not implement RFC 9973 (cert_with_extern_psk)");
   }
   for(auto s : o.schemes.value_or(std::vector<uint16_t>{})) {
      if(s >= 0x0904 && s <= 0x0906) {
         unsupported("lacks", "Botan " + version + " TLS has no ML-DSA signature schemes");
      }
      if(s == 0x0807) {
         unsupported("lacks", "Botan " + version + " TLS does not sign or verify Ed25519 (left out of Signature_Scheme::all_available_schemes)");
      }
   }
   if(o.psk_mode == "ke") {
      unsupported("lacks", "Botan offers and accepts PSKs only with psk_dhe_ke");
   }
   if(o.early_data || o.max_early_data > 0) {
      unsupported("lacks", "Botan's TLS 1.3 sends and accepts no 0-RTT data");
   }
}

// ------------------------------------------------------------------ credentials

std::string read_file(const std::string& path) {
   std::ifstream in(path, std::ios::binary);
   std::stringstream s;
   s << in.rdbuf();
   return s.str();
}

std::vector<Botan::X509_Certificate> load_certs(const std::string& flag, const std::string& path) {
   std::vector<Botan::X509_Certificate> certs;
   Botan::DataSource_Stream in(path);
   try {
      while(!in.end_of_data()) {
         certs.emplace_back(in);
      }
   } catch(const std::exception& e) {
      if(certs.empty()) {
         usage_error("--" + flag + " " + path + ": " + e.what());
      }
   }
   if(certs.empty()) {
      usage_error("--" + flag + " " + path + " holds no certificate");
   }
   return certs;
}

std::vector<uint8_t> psk_bytes(const Options& o) {
   return Botan::hex_decode(*o.psk_key);
}

std::string psk_hash(const Options& o) {
   return o.psk_hash == "sha384" ? "SHA-384" : "SHA-256";
}

class Credentials final : public Botan::Credentials_Manager {
   public:
      explicit Credentials(const Options& o) : m_opts(o) {
         if(!o.ca.empty()) {
            for(const auto& c : load_certs("ca", o.ca)) {
               m_trust.add_certificate(c);
            }
         }
         if(!o.cert.empty()) {
            m_chain = load_certs("cert", o.cert);
            m_chain.resize(1);
            // Botan's TLS (3.7 and 3.13) has no ML-DSA signature scheme, so it cannot use
            // such a certificate whatever the key's encoding.
            const std::string algo = m_chain[0].subject_public_key()->algo_name();
            if(algo.rfind("ML-DSA", 0) == 0) {
               unsupported("lacks", "Botan " + Botan::short_version_string() + " TLS has no ML-DSA signature schemes");
            }
            // Ed25519 is commented out of Botan's Signature_Scheme::all_available_schemes.
            if(algo == "Ed25519") {
               unsupported("lacks", "Botan " + Botan::short_version_string() + " TLS does not sign with Ed25519 certificates");
            }
            if(!o.chain.empty()) {
               for(const auto& c : load_certs("chain", o.chain)) {
                  if(!(c == m_chain[0])) {
                     m_chain.push_back(c);
                  }
               }
            }
            try {
               Botan::DataSource_Memory key(read_file(o.key));
               m_key = Botan::PKCS8::load_key(key);
            } catch(const std::exception& e) {
               unsupported("lacks",
                           "Botan " + Botan::short_version_string() + " cannot load the --key " + o.key + ": " +
                              e.what());
            }
         }
      }

      std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(const std::string&,
                                                                             const std::string&) override {
         return {&m_trust};
      }

      // Our chain whenever Botan asks for a certificate whose key type it can use; Botan
      // decides (by the peer's signature_algorithms) whether the key type fits.
      std::vector<Botan::X509_Certificate> find_cert_chain(const std::vector<std::string>& key_types,
                                                           const std::vector<Botan::AlgorithmIdentifier>&,
                                                           const std::vector<Botan::X509_DN>&,
                                                           const std::string&,
                                                           const std::string&) override {
         if(!m_key) {
            return {};
         }
         const std::string algo = m_key->algo_name();
         for(const auto& t : key_types) {
            if(t == algo) {
               return m_chain;
            }
         }
         return {};
      }

      std::shared_ptr<Botan::Private_Key> private_key_for(const Botan::X509_Certificate& cert,
                                                          const std::string&,
                                                          const std::string&) override {
         return !m_chain.empty() && cert == m_chain[0] ? m_key : nullptr;
      }

      // The external PSK: as given, or imported (RFC 9258) once per target hash. A server hands
      // over those whose identity the client offered.
      std::vector<TLS::ExternalPSK> find_preshared_keys(std::string_view,
                                                        TLS::Connection_Side,
                                                        const std::vector<std::string>& identities,
                                                        const std::optional<std::string>& prf) override {
         std::vector<TLS::ExternalPSK> out;
         if(!m_opts.psk_key) {
            return out;
         }
         for(auto& psk : all_psks()) {
            const bool offered =
               identities.empty() || std::find(identities.begin(), identities.end(), psk.identity()) != identities.end();
            if(offered && (!prf || *prf == psk.prf_algo())) {
               out.push_back(std::move(psk));
            }
         }
         return out;
      }

   private:
      std::vector<TLS::ExternalPSK> all_psks() const {
         std::vector<TLS::ExternalPSK> psks;
         const auto key = psk_bytes(m_opts);
         const std::string& id = *m_opts.psk_identity;
         if(!m_opts.psk_import) {
            psks.emplace_back(id, psk_hash(m_opts), Botan::secure_vector<uint8_t>(key.begin(), key.end()));
            return psks;
         }
#if HAS_PSK_IMPORTER
         const TLS::PSKImporter importer(key, std::span(reinterpret_cast<const uint8_t*>(id.data()), id.size()), {},
                                         psk_hash(m_opts));
         for(const char* target : {"SHA-256", "SHA-384"}) {
            psks.push_back(importer.derive_imported_psk(TLS::Protocol_Version::TLS_V13, target));
         }
#endif
         return psks;
      }

      const Options& m_opts;
      Botan::Certificate_Store_In_Memory m_trust;
      std::vector<Botan::X509_Certificate> m_chain;
      std::shared_ptr<Botan::Private_Key> m_key;
};

// ------------------------------------------------------------------ policy

std::string cipher_name(uint16_t suite) {
   switch(suite) {
      case 0x1301:
         return "AES-128/GCM";
      case 0x1302:
         return "AES-256/GCM";
      default:
         return "ChaCha20Poly1305";
   }
}

// TLS 1.3 only, plus what the flags say; an absent flag keeps Botan's default.
class Policy final : public TLS::Policy {
   public:
      Policy(const Options& o, std::optional<std::vector<uint16_t>> groups, bool default_shares) :
            m_opts(o), m_groups(std::move(groups)), m_default_shares(default_shares) {}

      bool allow_tls12() const override { return false; }

      bool allow_tls13() const override { return true; }

      bool allow_dtls12() const override { return false; }

      std::vector<TLS::Group_Params> key_exchange_groups() const override {
         if(!m_groups) {
            return TLS::Policy::key_exchange_groups();
         }
         std::vector<TLS::Group_Params> out;
         for(auto g : *m_groups) {
            out.push_back(group_params(g));
         }
         return out;
      }

      // The contract's default is a share for the first group; Botan's too.
      std::vector<TLS::Group_Params> key_exchange_groups_to_offer() const override {
         if(!m_opts.key_shares || m_default_shares) {
            return TLS::Policy::key_exchange_groups_to_offer();
         }
         std::vector<TLS::Group_Params> out;
         for(auto g : *m_opts.key_shares) {
            out.push_back(group_params(g));
         }
         return out;
      }

      // --prefer-hrr: our first group the client supports, share or not (Botan then sends a
      // HelloRetryRequest). Without it Botan's default prefers a group the client shared.
      TLS::Group_Params choose_key_exchange_group(const std::vector<TLS::Group_Params>& supported,
                                                  const std::vector<TLS::Group_Params>& offered) const override {
         if(!m_opts.prefer_hrr) {
            return TLS::Policy::choose_key_exchange_group(supported, offered);
         }
         for(auto ours : key_exchange_groups()) {
            if(std::find(supported.begin(), supported.end(), ours) != supported.end()) {
               return ours;
            }
         }
         return TLS::Group_Params::NONE;
      }

      std::vector<std::string> allowed_ciphers() const override {
         if(!m_opts.suites) {
            return TLS::Policy::allowed_ciphers();
         }
         std::vector<std::string> out;
         for(auto s : *m_opts.suites) {
            out.push_back(cipher_name(s));
         }
         return out;
      }

      std::vector<TLS::Signature_Scheme> allowed_signature_schemes() const override {
         if(!m_opts.schemes) {
            return TLS::Policy::allowed_signature_schemes();
         }
         std::vector<TLS::Signature_Scheme> out;
         for(auto s : *m_opts.schemes) {
            out.emplace_back(s);
         }
         return out;
      }

      std::vector<TLS::Signature_Scheme> acceptable_signature_schemes() const override {
         return m_opts.schemes ? allowed_signature_schemes() : TLS::Policy::acceptable_signature_schemes();
      }

      // The test PKI publishes no CRL or OCSP: the chain up to --ca is what is checked.
      bool require_cert_revocation_info() const override { return false; }

      bool require_client_certificate_authentication() const override { return m_opts.client_auth; }

      bool request_client_certificate_authentication() const override { return m_opts.client_auth; }

      size_t new_session_tickets_upon_handshake_success() const override { return m_opts.tickets; }

   private:
      const Options& m_opts;
      std::optional<std::vector<uint16_t>> m_groups;
      bool m_default_shares;
};

// ------------------------------------------------------------------ one connection

struct Report {
      bool active = false;  // the handshake completed
      bool peer_closed = false;
      std::optional<int> alert;
      bool alert_sent = false;
      std::string error;
      bool hrr = false;
      std::optional<uint16_t> scheme;  // the first CertificateVerify: always the server's
      int certificates_seen = 0;
      std::optional<Botan::X509_Certificate> own_cert;
      std::optional<Botan::X509_Certificate> peer_cert;
      std::optional<uint16_t> suite;
      std::optional<uint16_t> group;
      bool kex_known = false;
      bool resumed = false;
      std::optional<std::string> psk_identity;
      std::string echo;  // client: matched | mismatched | none
      double handshake_ms = -1;
      bool timed_out = false;

      void fail(const std::string& e) {
         if(error.empty()) {
            error = e;
         }
      }
};

class Callbacks final : public TLS::Callbacks {
   public:
      Callbacks(int fd, Report& r, bool server) : m_fd(fd), m_report(r), m_server(server) {}

      std::string app_data;

      void tls_emit_data(std::span<const uint8_t> data) override {
         size_t done = 0;
         while(done < data.size()) {
            const ssize_t n = ::send(m_fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if(n <= 0) {
               throw std::runtime_error(std::string("socket write failed: ") + std::strerror(errno));
            }
            done += static_cast<size_t>(n);
         }
      }

      void tls_record_received(uint64_t, std::span<const uint8_t> data) override {
         app_data.append(reinterpret_cast<const char*>(data.data()), data.size());
      }

      void tls_alert(TLS::Alert alert) override {
         if(alert.type() == TLS::Alert::CloseNotify) {
            m_report.peer_closed = true;
         } else if(alert.is_fatal() && !m_report.alert) {
            m_report.alert = static_cast<int>(alert.type());
            m_report.alert_sent = false;
         }
      }

      void tls_session_established(const TLS::Session_Summary& s) override {
         m_report.suite = s.ciphersuite_code();
         m_report.resumed = s.was_resumption();
         m_report.psk_identity = s.external_psk_identity();
         // kex_parameters: the group of the ServerHello's key_share (none for psk_ke).
         m_report.kex_known = true;
         if(const auto params = s.kex_parameters()) {
            if(const auto g = TLS::Group_Params::from_string(*params)) {
               m_report.group = g->wire_code();
            } else {
               m_report.fail("Botan names an unknown group: " + *params);
            }
         }
         if(!s.peer_certs().empty()) {
            m_report.peer_cert = s.peer_certs().front();
         }
      }

      void tls_session_activated() override { m_report.active = true; }

      // The peer's close_notify closes its direction only: we still answer (a client may send
      // its line and close_notify together) and close ours after the echo.
      bool tls_peer_closed_connection() override { return false; }

      // The messages of the handshake as Botan sends and receives them. The server's
      // Certificate and CertificateVerify always come before the client's.
      void tls_inspect_handshake_msg(const TLS::Handshake_Message& msg) override {
         if(msg.type() == TLS::Handshake_Type::HelloRetryRequest) {
            m_report.hrr = true;
         }
         if(const auto* cv = dynamic_cast<const TLS::Certificate_Verify*>(&msg)) {
            if(!m_report.scheme) {
               m_report.scheme = cv->signature_scheme().wire_code();
            }
         }
         if(const auto* cert = dynamic_cast<const TLS::Certificate_13*>(&msg)) {
            const bool own = (m_report.certificates_seen == 0) == m_server;
            m_report.certificates_seen++;
            if(own && !cert->empty()) {
               m_report.own_cert = cert->leaf();
            }
         }
      }

   private:
      int m_fd;
      Report& m_report;
      bool m_server;
};

double now_ms() {
   return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Botan's own rule for the alert it sends when processing fails (Channel_Impl_13::from_peer).
int alert_for(const std::exception& e) {
   if(const auto* t = dynamic_cast<const TLS::TLS_Exception*>(&e)) {
      return static_cast<int>(t->type());
   }
   if(dynamic_cast<const Botan::Invalid_Authentication_Tag*>(&e)) {
      return 20;
   }
   if(dynamic_cast<const Botan::Decoding_Error*>(&e)) {
      return 50;
   }
   return 80;
}

// Reads from the socket into the channel until `done` holds, the peer closes, or time runs
// out. Returns false when the connection ended first.
template <typename Done>
bool pump(int fd, TLS::Channel& channel, Report& r, double deadline, Done done) {
   uint8_t buf[16384];
   while(!done()) {
      if(channel.is_closed()) {
         return false;
      }
      const int wait = static_cast<int>(deadline - now_ms());
      if(wait <= 0) {
         r.timed_out = true;
         return false;
      }
      pollfd p{fd, POLLIN, 0};
      if(::poll(&p, 1, wait) <= 0) {
         continue;  // timeout is checked at the top
      }
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if(n <= 0) {
         if(!r.peer_closed && !r.active) {
            r.fail(n == 0 ? "the peer closed the connection" : std::string("socket read failed: ") + std::strerror(errno));
         }
         return false;
      }
      try {
         channel.received_data(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
      } catch(const std::exception& e) {
         if(!r.alert) {
            r.alert = alert_for(e);
            r.alert_sent = true;
         }
         r.fail(e.what());
         return false;
      }
   }
   return true;
}

// close_notify, then a short wait for the peer's, so nothing is cut off.
void close_in_order(int fd, TLS::Channel& channel, Report& r) {
   try {
      if(!channel.is_closed()) {
         channel.close();
      }
   } catch(const std::exception&) {
   }
   const double until = now_ms() + 1000;
   Report ignored = r;
   pump(fd, channel, ignored, until, [&] { return ignored.peer_closed; });
}

// ------------------------------------------------------------------ the JSON line

std::string json_string(const std::string& s) {
   std::string out = "\"";
   for(const unsigned char c : s) {
      if(c == '"' || c == '\\') {
         out += '\\';
         out += static_cast<char>(c);
      } else if(c < 0x20) {
         char esc[8];
         std::snprintf(esc, sizeof esc, "\\u%04x", c);
         out += esc;
      } else {
         out += static_cast<char>(c);
      }
   }
   return out + "\"";
}

std::string json_opt(const std::optional<std::string>& s) {
   return s ? json_string(*s) : "null";
}

// keyType in the contract's words, from the certificate's public key.
std::optional<std::string> key_type(const Botan::X509_Certificate& cert) {
   const auto key = cert.subject_public_key();
   const std::string algo = key->algo_name();
   if(algo == "ECDSA") {
      const auto bits = key->key_length();
      return bits == 256 ? std::optional<std::string>("ecdsa-p256")
                         : bits == 384 ? std::optional<std::string>("ecdsa-p384") : std::nullopt;
   }
   if(algo == "Ed25519") {
      return "ed25519";
   }
   if(algo == "RSA") {
      return key->key_length() == 2048 ? std::optional<std::string>("rsa2048") : std::nullopt;
   }
   if(algo.rfind("ML-DSA", 0) == 0) {
      const std::string oid = key->object_identifier().to_string();
      if(oid == "2.16.840.1.101.3.4.3.17") return "mldsa44";
      if(oid == "2.16.840.1.101.3.4.3.18") return "mldsa65";
      if(oid == "2.16.840.1.101.3.4.3.19") return "mldsa87";
   }
   return std::nullopt;
}

// The subject as "O=pqinterop, CN=name" in the certificate's order (X509_DN::to_string quotes
// every value).
std::string subject_text(const Botan::X509_DN& dn) {
   const std::map<std::string, std::string> short_names = {
      {"2.5.4.3", "CN"}, {"2.5.4.6", "C"}, {"2.5.4.7", "L"}, {"2.5.4.8", "ST"}, {"2.5.4.10", "O"}, {"2.5.4.11", "OU"}};
   std::string out;
   auto add = [&](const Botan::OID& oid, const Botan::ASN1_String& value) {
      const auto name = short_names.find(oid.to_string());
      out += (out.empty() ? "" : ", ") + (name != short_names.end() ? name->second : oid.to_string()) + "=" +
             value.value();
   };
#if BOTAN_VERSION_CODE >= BOTAN_VERSION_CODE_FOR(3, 13, 0)
   for(const auto& rdn : dn.rdns()) {  // 3.13 keeps the RDN structure (dn_info is deprecated)
      for(const auto& [oid, value] : rdn) {
         add(oid, value);
      }
   }
#else
   for(const auto& [oid, value] : dn.dn_info()) {
      add(oid, value);
   }
#endif
   return out;
}

std::string json_cert(const std::optional<Botan::X509_Certificate>& cert) {
   if(!cert) {
      return "null";
   }
   return "{\"subject\":" + json_string(subject_text(cert->subject_dn())) + ",\"keyType\":" +
          json_opt(key_type(*cert)) + "}";
}

bool ok_of(const Report& r) {
   return r.active && !r.alert && r.error.empty() && !r.timed_out;
}

void print_report(Report& r, bool server) {
   if(r.timed_out) {
      r.fail("no progress for " + std::to_string(CONNECTION_TIMEOUT_MS / 1000) + " s; connection closed");
   }
   const bool done = r.active;
   const bool psk = r.resumed || r.psk_identity.has_value();
   std::string j = std::string("{\"ok\":") + (ok_of(r) ? "true" : "false");
   j += ",\"version\":" + std::string(done ? "\"TLSv1.3\"" : "null");
   j += ",\"group\":" + json_opt(r.group ? name_of(GROUPS, *r.group) : std::nullopt);
   j += ",\"cipherSuite\":" + json_opt(r.suite ? name_of(SUITES, *r.suite) : std::nullopt);
   j += ",\"helloRetryRequest\":" + std::string(done ? (r.hrr ? "true" : "false") : "null");
   j += ",\"resumed\":" + std::string(done ? (r.resumed ? "true" : "false") : "null");
   // Botan implements psk_dhe_ke only: a PSK handshake with a group is psk_dhe_ke.
   j += ",\"pskMode\":" + std::string(done && psk ? (r.group ? "\"psk_dhe_ke\"" : "\"psk_ke\"") : "null");
   j += ",\"pskIdentity\":" + json_opt(r.psk_identity);
   j += ",\"earlyData\":null";
   j += ",\"certWithPsk\":" + std::string(done ? "false" : "null");
   j += ",\"signatureScheme\":" + json_opt(r.scheme ? name_of(SCHEMES, *r.scheme) : std::nullopt);
   j += ",\"peerCertificate\":" + json_cert(r.peer_cert);
   j += ",\"certificate\":" + json_cert(r.own_cert);
   if(!server) {
      j += ",\"echo\":" + (r.echo.empty() ? std::string("null") : json_string(r.echo));
   }
   const auto alert = r.alert ? name_of(ALERTS, static_cast<uint16_t>(*r.alert)) : std::nullopt;
   if(r.alert && !alert) {
      r.fail("alert " + std::to_string(*r.alert));
   }
   j += ",\"alert\":" + json_opt(alert);
   j += ",\"alertDirection\":" + std::string(r.alert ? (r.alert_sent ? "\"sent\"" : "\"received\"") : "null");
   j += ",\"error\":" + (r.error.empty() ? std::string("null") : json_string(r.error));
   char ms[32];
   std::snprintf(ms, sizeof ms, "%.2f", r.handshake_ms);
   j += ",\"handshakeMs\":" + std::string(r.handshake_ms >= 0 ? ms : "null");
   std::cout << j << "}" << std::endl;
}

// ------------------------------------------------------------------ server

int listen_loopback(int port) {
   const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
   const int one = 1;
   ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
   sockaddr_in addr{};
   addr.sin_family = AF_INET;
   addr.sin_port = htons(static_cast<uint16_t>(port));
   addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
   if(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
      std::cerr << role_name << ": cannot listen on 127.0.0.1:" << port << ": " << std::strerror(errno) << std::endl;
      std::exit(2);
   }
   socklen_t len = sizeof addr;
   ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
   std::cerr << "listening on 127.0.0.1:" << ntohs(addr.sin_port) << std::endl;
   return fd;
}

// Reads until `stop` arrives in the application data (or the connection ends).
bool read_until(int fd, TLS::Channel& ch, Callbacks& cb, Report& r, double deadline, const std::string& stop) {
   return pump(fd, ch, r, deadline, [&] { return cb.app_data.find(stop) != std::string::npos || r.peer_closed; });
}

void server_exchange(int fd, TLS::Channel& ch, Callbacks& cb, Report& r, const Options& o, double deadline) {
   if(o.http) {
      read_until(fd, ch, cb, r, deadline, "\r\n\r\n");
      if(cb.app_data.rfind("GET /", 0) != 0) {
         r.fail("no GET request");
         return;
      }
      const std::string path = cb.app_data.substr(5, cb.app_data.find_first_of(" \r\n", 5) - 5);
      ch.send("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + std::to_string(path.size()) +
              "\r\nconnection: close\r\n\r\n" + path);
      return;
   }
   read_until(fd, ch, cb, r, deadline, "\n");
   const auto nl = cb.app_data.find('\n');
   if(nl != std::string::npos) {
      ch.send(cb.app_data.substr(0, nl + 1));
   } else if(!cb.app_data.empty()) {
      ch.send(cb.app_data + "\n");
   }
}

struct Shared {
      std::shared_ptr<Botan::RandomNumberGenerator> rng;
      std::shared_ptr<Credentials> creds;
      std::shared_ptr<TLS::Session_Manager> sessions;
};

// The exchange is a few small records each way: without TCP_NODELAY, Nagle's algorithm and
// the peer's delayed ACK add tens of milliseconds to every run.
void no_delay(int fd) {
   const int one = 1;
   ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool serve_one(int fd, const Options& o, Shared& s, const std::shared_ptr<const TLS::Policy>& policy) {
   Report r;
   no_delay(fd);
   auto cb = std::make_shared<Callbacks>(fd, r, true);
   const double t0 = now_ms();
   const double deadline = t0 + CONNECTION_TIMEOUT_MS;
   try {
      TLS::Server server(cb, s.sessions, s.creds, policy, s.rng);
      if(pump(fd, server, r, deadline, [&] { return r.active; })) {
         r.handshake_ms = now_ms() - t0;
         server_exchange(fd, server, *cb, r, o, deadline);
      }
      close_in_order(fd, server, r);
   } catch(const std::exception& e) {
      r.fail(e.what());
   }
   ::close(fd);
   print_report(r, true);
   return ok_of(r);
}

int run_server(const Options& o, Shared& s) {
   auto policy = std::make_shared<Policy>(o, o.groups, true);
   const int listener = listen_loopback(o.port);
   bool all_ok = true;
   for(int served = 0; o.count < 0 || served < o.count; ++served) {
      const int fd = ::accept(listener, nullptr, nullptr);
      if(fd < 0) {
         std::cerr << role_name << ": accept: " << std::strerror(errno) << std::endl;
         return 1;
      }
      all_ok &= serve_one(fd, o, s, policy);
   }
   ::close(listener);
   return all_ok ? 0 : 1;
}

// ------------------------------------------------------------------ client

int connect_loopback(const Options& o, Report& r) {
   const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
   sockaddr_in addr{};
   addr.sin_family = AF_INET;
   addr.sin_port = htons(static_cast<uint16_t>(o.port));
   addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
   if(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      r.fail(std::string("cannot connect: ") + std::strerror(errno));
      ::close(fd);
      return -1;
   }
   no_delay(fd);
   return fd;
}

void client_exchange(int fd, TLS::Channel& ch, Callbacks& cb, Report& r, const Options& o, double deadline) {
   if(o.http) {
      ch.send("GET /" + o.message + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      pump(fd, ch, r, deadline, [&] { return r.peer_closed; });
      const auto body = cb.app_data.find("\r\n\r\n");
      r.echo = body == std::string::npos ? "none" : cb.app_data.substr(body + 4) == o.message ? "matched" : "mismatched";
      return;
   }
   ch.send(o.message + "\n");
   read_until(fd, ch, cb, r, deadline, "\n");
   const auto nl = cb.app_data.find('\n');
   if(nl == std::string::npos && cb.app_data.empty()) {
      r.echo = "none";
      return;
   }
   r.echo = cb.app_data.substr(0, nl) == o.message ? "matched" : "mismatched";
}

bool connect_once(const Options& o, Shared& s, bool second) {
   Report r;
   const int fd = connect_loopback(o, r);
   if(fd < 0) {
      std::cout << "{\"ok\":false,\"error\":" << json_string(r.error) << "}" << std::endl;
      return false;
   }
   const bool new_groups = second && o.resume_groups.has_value();
   auto policy = std::make_shared<Policy>(o, new_groups ? o.resume_groups : o.groups, new_groups);
   auto cb = std::make_shared<Callbacks>(fd, r, false);
   const double t0 = now_ms();
   const double deadline = t0 + CONNECTION_TIMEOUT_MS;
   try {
      // The name is the SNI (Botan sends none for an IP address) and what the certificate
      // must match; the port keys the session cache the second connection resumes from.
      TLS::Client client(cb, s.sessions, s.creds, policy, s.rng,
                         TLS::Server_Information(o.server_name, static_cast<uint16_t>(o.port)));
      if(pump(fd, client, r, deadline, [&] { return r.active; })) {
         r.handshake_ms = now_ms() - t0;
         client_exchange(fd, client, *cb, r, o, deadline);
      }
      close_in_order(fd, client, r);
   } catch(const std::exception& e) {
      r.fail(e.what());
   }
   ::close(fd);
   print_report(r, false);
   return ok_of(r) && (!o.expect_echo || r.echo == "matched");
}

int run_client(const Options& o, Shared& s) {
   bool ok = connect_once(o, s, false);
   if(o.resume) {
      ok &= connect_once(o, s, true);
   }
   return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
   if(argc >= 2 && std::string(argv[1]) == "version") {
      std::cout << "Botan " << Botan::short_version_string() << std::endl;
      return 0;
   }
   if(argc < 2 || (std::string(argv[1]) != "server" && std::string(argv[1]) != "client")) {
      std::cerr << "usage: pqi-botan server|client [flags] (docs/peer-contract.md) | pqi-botan version" << std::endl;
      return 2;
   }
   role_name = std::string("pqi-botan ") + argv[1];
   ::signal(SIGPIPE, SIG_IGN);
   const Options o = parse_args(argc, argv);
   check_options(o);
   check_supported(o);
   Shared s;
   s.rng = std::make_shared<Botan::AutoSeeded_RNG>();
   s.creds = std::make_shared<Credentials>(o);
   s.sessions = std::make_shared<TLS::Session_Manager_In_Memory>(s.rng);
   return o.server ? run_server(o, s) : run_client(o, s);
}
