//! Hand-rolled `--flag value` parsing of the peer contract's flags (docs/peer-contract.md): two
//! dozen flags do not justify compiling clap. Every problem here is a usage error (exit 2).

use std::collections::HashMap;
use std::str::FromStr;

use crate::names;

/// The contract's flags per role: `valued` take one argument, `switches` none, and `optional`
/// take a value only when the next argument is one of their choices (`--cert-with-psk`).
struct Spec {
    valued: &'static str,
    switches: &'static str,
    optional: &'static [(&'static str, &'static [&'static str])],
}

const COMMON_VALUED: &str = "port cert key chain ca groups cipher-suites signature-schemes \
    psk-identity psk-key psk-hash psk-mode";
const CERT_WITH_PSK: &[(&str, &[&str])] = &[("cert-with-psk", &["require", "allow"])];

const SERVER: Spec = Spec {
    valued: "count tickets max-early-data",
    switches: "psk-import http prefer-hrr client-auth",
    optional: CERT_WITH_PSK,
};
const CLIENT: Spec = Spec {
    valued: "server-name message key-shares resume-groups early-data",
    switches: "psk-import http expect-echo resume",
    optional: CERT_WITH_PSK,
};

pub struct Flags(HashMap<String, String>);

impl Flags {
    pub fn parse(role: &str, args: &[String]) -> Result<Self, String> {
        let spec = if role == "server" { &SERVER } else { &CLIENT };
        let valued = |name: &str| {
            COMMON_VALUED
                .split_whitespace()
                .chain(spec.valued.split_whitespace())
                .any(|f| f == name)
        };
        let mut flags = HashMap::new();
        let mut args = args.iter().peekable();
        while let Some(arg) = args.next() {
            let name =
                arg.strip_prefix("--").ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            let value = if spec.switches.split_whitespace().any(|s| s == name) {
                String::new()
            } else if valued(name) {
                args.next().ok_or_else(|| format!("--{name} needs a value"))?.clone()
            } else if let Some((_, choices)) = spec.optional.iter().find(|(f, _)| *f == name) {
                match args.peek() {
                    Some(next) if choices.contains(&next.as_str()) => args.next().unwrap().clone(),
                    _ => choices[0].to_string(),
                }
            } else {
                return Err(format!("unknown {role} flag --{name}"));
            };
            flags.insert(name.to_string(), value);
        }
        Ok(Self(flags))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn number<T: FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.get(name)
            .map(|text| text.parse().map_err(|_| format!("--{name} needs a number, got {text:?}")))
            .transpose()
    }

    /// A comma-separated list of names from `table`, in order; unknown names are usage errors.
    pub fn list<T: Copy>(
        &self,
        name: &str,
        table: &[(&'static str, T)],
        what: &str,
    ) -> Result<Option<Vec<(&'static str, T)>>, String> {
        let Some(text) = self.get(name) else { return Ok(None) };
        let items: Vec<&str> = text.split(',').filter(|s| !s.is_empty()).collect();
        if items.is_empty() {
            return Err(format!("--{name} needs at least one {what}"));
        }
        items
            .into_iter()
            .map(|item| names::lookup(table, what, item).map_err(|e| format!("--{name}: {e}")))
            .collect::<Result<_, _>>()
            .map(Some)
    }
}
