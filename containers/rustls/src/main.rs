//! pqi-rustls: rustls 0.23 with the aws-lc-rs provider, speaking pqinterop's peer contract
//! (docs/peer-contract.md): `pqi-rustls server|client` plus the contract's flags, one JSON line
//! per connection on stdout. `pqi-rustls version` prints the rustls version it was built with.
//!
//! Everything happens on 127.0.0.1. The server prints `listening on 127.0.0.1:N` on stderr once
//! it listens, serves --count connections (default: until stopped), echoes one line each (or
//! answers one HTTP request with --http). The client connects (twice with --resume), sends its
//! --message, reads the answer and closes.
//!
//! Exit status: 0 every connection succeeded (and, with --expect-echo, every echo matched);
//! 1 a connection failed; 2 a usage error (bad flag or value, unreadable file, port in use);
//! 127 a configuration rustls cannot do, with `unsupported: lacks: …` as the last stderr line.

mod cert;
mod exchange;
mod flags;
mod link;
mod names;
mod observe;
mod report;
mod setup;

use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, ServerConnection};

use crate::cert::Described;
use crate::exchange::Exchange;
use crate::flags::Flags;
use crate::link::Link;
use crate::observe::Journal;
use crate::report::Report;

/// A peer that goes silent fails the connection instead of hanging the program.
const IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the program stops before any connection.
pub enum Stop {
    /// Exit 2: the command line is wrong.
    Usage(String),
    /// Exit 127: rustls lacks what the command line asks for.
    Lacks(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("version") => {
            println!("{}", option_env!("PQI_RUSTLS_VERSION").unwrap_or("rustls (version unknown)"));
            Ok(true)
        }
        Some(role @ ("server" | "client")) => Flags::parse(role, &args[1..])
            .map_err(Stop::Usage)
            .and_then(|flags| if role == "server" { server(&flags) } else { client(&flags) }),
        _ => Err(Stop::Usage("the first argument must be `server`, `client` or `version`".into())),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Stop::Usage(problem)) => {
            eprintln!("pqi-rustls: {problem}");
            ExitCode::from(2)
        }
        Err(Stop::Lacks(why)) => {
            eprintln!("unsupported: lacks: {why}");
            ExitCode::from(127)
        }
    }
}

/// Ok(every connection succeeded), or why the server did not start.
fn server(flags: &Flags) -> Result<bool, Stop> {
    setup::refuse_psk(flags)?;
    if flags.has("prefer-hrr") {
        return Err(Stop::Lacks(
            "a rustls server takes the first group of the client's list that it supports; it has \
             no preference of its own to enforce by HelloRetryRequest"
                .into(),
        ));
    }
    let journal = Journal::default();
    let setup = setup::server(flags, &journal)?;
    let count: Option<usize> = flags.number("count").map_err(Stop::Usage)?;
    let port: u16 = flags.number("port").map_err(Stop::Usage)?.unwrap_or(0);
    let exchange = Exchange::new(flags.has("http"));
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| Stop::Usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let port = listener.local_addr().map_err(|e| Stop::Usage(e.to_string()))?.port();
    eprintln!("listening on 127.0.0.1:{port}");

    let mut all_ok = true;
    let mut served = 0;
    while count.is_none_or(|n| served < n) {
        journal.reset();
        let report = match listener.accept() {
            Ok((sock, _)) => serve(&setup, sock, exchange, &journal),
            Err(e) => Report::failed(format!("accept: {e}")),
        };
        println!("{}", report.to_json());
        all_ok &= report.ok;
        served += 1;
    }
    Ok(all_ok)
}

/// Handshake, then answer the client's line (or HTTP request), then close_notify.
fn serve(
    setup: &setup::ServerSetup,
    sock: TcpStream,
    exchange: Exchange,
    journal: &Journal,
) -> Report {
    let _ = sock.set_read_timeout(Some(IDLE_TIMEOUT));
    let conn = match ServerConnection::new(setup.config.clone()) {
        Ok(conn) => conn,
        Err(e) => return Report::failed(e.to_string()),
    };
    let mut link = Link::new(conn, sock);
    let started = Instant::now();
    let handshake = link.handshake();
    let handshake_ms = handshake.is_ok().then(|| elapsed_ms(started));
    let outcome = handshake.and_then(|()| {
        exchange.answer(&mut link)?;
        link.close();
        Ok(())
    });
    let mut report = Report::new(&link.conn, outcome);
    report.handshake_ms = handshake_ms;
    report.early_data = link.early_data_accepted().then_some("accepted");
    describe_certificates(&mut report, journal, Some(&setup.leaf), true);
    report
}

/// Ok(every connection succeeded, and every echo matched when --expect-echo asks), or why the
/// client did not start.
fn client(flags: &Flags) -> Result<bool, Stop> {
    setup::refuse_psk(flags)?;
    let early_data = flags.get("early-data");
    if early_data.is_some() && !flags.has("resume") {
        return Err(Stop::Lacks(
            "0-RTT needs a PSK, and rustls has no external PSKs: only a resumed connection \
             (--resume) can carry it"
                .into(),
        ));
    }
    let journal = Journal::default();
    let setup = setup::client(flags, &journal)?;
    let server_name = setup::server_name(flags)?;
    let port: u16 = flags
        .number("port")
        .map_err(Stop::Usage)?
        .ok_or_else(|| Stop::Usage("--port is required".into()))?;
    let message = flags.get("message").unwrap_or("hello");
    let exchange = Exchange::new(flags.has("http"));
    let expect_echo = flags.has("expect-echo");

    let mut all_ok = true;
    for (config, early) in [(&setup.first, None), (&setup.second, early_data)]
        .into_iter()
        .take(if flags.has("resume") { 2 } else { 1 })
    {
        journal.reset();
        let call = Call { config, server_name: server_name.clone(), port, message, early };
        let report = connect(&call, exchange, &journal, setup.leaf.as_ref());
        println!("{}", report.to_json());
        all_ok &= report.ok && (!expect_echo || report.echo == Some("matched"));
    }
    Ok(all_ok)
}

struct Call<'a> {
    config: &'a Arc<ClientConfig>,
    server_name: rustls::pki_types::ServerName<'static>,
    port: u16,
    message: &'a str,
    /// 0-RTT text for this connection.
    early: Option<&'a str>,
}

/// Handshake (with 0-RTT when asked and a ticket allows it), the exchange, close_notify.
fn connect(call: &Call, exchange: Exchange, journal: &Journal, leaf: Option<&Described>) -> Report {
    let sock = match TcpStream::connect(("127.0.0.1", call.port)) {
        Ok(sock) => sock,
        Err(e) => return Report::failed(format!("cannot connect to 127.0.0.1:{}: {e}", call.port)),
    };
    let _ = sock.set_read_timeout(Some(IDLE_TIMEOUT));
    let conn = match ClientConnection::new(call.config.clone(), call.server_name.clone()) {
        Ok(conn) => conn,
        Err(e) => return Report::failed(e.to_string()),
    };
    let mut link = Link::new(conn, sock);
    let started = Instant::now();
    let offered = call.early.is_some_and(|text| link.write_early_data(text));
    let handshake = link.handshake();
    let handshake_ms = handshake.is_ok().then(|| elapsed_ms(started));
    let accepted = link.early_data_accepted();
    let mut echo = None;
    let outcome = handshake.and_then(|()| {
        // Rejected 0-RTT text is sent again in the stream, before the message (as the
        // reference peer does); the server then echoes both as one line.
        let resent = if offered && !accepted { call.early.unwrap_or("") } else { "" };
        echo = Some(exchange.ask(&mut link, resent, call.message)?);
        link.close();
        Ok(())
    });
    let mut report = Report::new(&link.conn, outcome);
    report.handshake_ms = handshake_ms;
    report.echo = echo;
    if offered {
        report.early_data = Some(if accepted { "accepted" } else { "rejected" });
    }
    describe_certificates(&mut report, journal, leaf, false);
    report
}

/// The certificate fields, from what the watched verifier and key saw on this connection. The
/// contract's signatureScheme is the server's CertificateVerify: the server signed it, the client
/// verified it.
fn describe_certificates(
    report: &mut Report,
    journal: &Journal,
    leaf: Option<&Described>,
    server: bool,
) {
    let seen = journal.take();
    report.peer_certificate = seen.peer_certificate.as_deref().and_then(cert::describe);
    report.certificate = seen.own_scheme.and(leaf.cloned());
    let scheme = if server { seen.own_scheme } else { seen.peer_scheme };
    report.signature_scheme = scheme.and_then(names::scheme_name);
}

fn elapsed_ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}
