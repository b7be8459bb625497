//! Hand-rolled `--flag value` parsing: a dozen flags do not justify compiling clap.

use std::collections::HashMap;
use std::str::FromStr;

pub struct Flags(HashMap<&'static str, String>);

impl Flags {
    /// `valued` flags (space-separated names) take one argument, `switches` none; anything else
    /// is a usage error.
    pub fn parse(
        args: &[String],
        valued: &'static str,
        switches: &'static str,
    ) -> Result<Self, String> {
        let mut flags = HashMap::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let name =
                arg.strip_prefix("--").ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            if let Some(switch) = switches.split_whitespace().find(|s| *s == name) {
                flags.insert(switch, String::new());
            } else if let Some(flag) = valued.split_whitespace().find(|f| *f == name) {
                let value = args.next().ok_or_else(|| format!("--{name} needs a value"))?;
                flags.insert(flag, value.clone());
            } else {
                return Err(format!("unknown flag --{name}"));
            }
        }
        Ok(Self(flags))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("--{name} is required"))
    }

    pub fn number<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => {
                text.parse().map_err(|_| format!("--{name} needs a number, got {text:?}"))
            }
        }
    }
}
