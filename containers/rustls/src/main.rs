//! pqi-rustls: a small TLS 1.3 client and server on rustls with the aws-lc-rs provider, so
//! pqinterop can drive rustls like the command-line tools of the other libraries.
//!
//!   pqi-rustls server --port N --cert F --key F [--groups a,b] [--cipher-suites a,b]
//!                     [--ca F --client-auth] [--count N] [--tickets N] [--max-early-data N]
//!   pqi-rustls client --port N --ca F [--server-name S] [--groups a,b] [--cipher-suites a,b]
//!                     [--cert F --key F] [--resume] [--early-data TEXT] [--message TEXT]
//!
//! Everything happens on 127.0.0.1 (server --port 0: any free port). The server prints
//! `listening on 127.0.0.1:N` on stderr once it listens; the client sends one line, the server
//! echoes it. Each side prints one JSON report per connection on stdout. Exit status: 0 all
//! connections ok, 1 a connection failed, 2 the program could not start (bad flags, unknown or
//! unimplemented group, unreadable files, port in use).

mod flags;
mod link;
mod report;
mod setup;

use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

use crate::flags::Flags;
use crate::link::Link;
use crate::report::{Failure, Report};
use crate::setup::{ClientOptions, ServerOptions};

/// A peer that goes silent fails the connection instead of hanging the program.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("server") => server(&args[1..]),
        Some("client") => client(&args[1..]),
        _ => Err("the first argument must be `server` or `client`".into()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(problem) => {
            eprintln!("pqi-rustls: {problem}");
            ExitCode::from(2)
        }
    }
}

/// Ok(all connections succeeded), or Err(why the server could not start).
fn server(args: &[String]) -> Result<bool, String> {
    let flags = Flags::parse(
        args,
        "port cert key groups cipher-suites ca count tickets max-early-data",
        "client-auth",
    )?;
    if flags.has("client-auth") && !flags.has("ca") {
        return Err("--client-auth needs --ca".into());
    }
    let provider = setup::provider(flags.get("groups"), flags.get("cipher-suites"))?;
    let config = setup::server_config(
        provider,
        &ServerOptions {
            cert: flags.required("cert")?,
            key: flags.required("key")?,
            client_ca: if flags.has("client-auth") { flags.get("ca") } else { None },
            tickets: flags.number("tickets", 2)?,
            max_early_data: flags.number("max-early-data", 0)?,
        },
    )?;
    let count: usize = flags.number("count", 1)?;
    let port: u16 = flags.number("port", 0)?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    eprintln!("listening on 127.0.0.1:{port}");

    let mut all_ok = true;
    for _ in 0..count {
        let report = match listener.accept() {
            Ok((sock, _)) => serve(config.clone(), sock),
            Err(e) => Report::failed(format!("accept: {e}")),
        };
        println!("{}", report.to_json());
        all_ok &= report.ok;
    }
    Ok(all_ok)
}

/// Handshake, then echo the client's line back. The echo is a courtesy: clients such as
/// `openssl s_client` send their line and close, so only the handshake and TLS errors count.
fn serve(config: Arc<ServerConfig>, sock: TcpStream) -> Report {
    let _ = sock.set_read_timeout(Some(IDLE_TIMEOUT));
    let conn = match ServerConnection::new(config) {
        Ok(conn) => conn,
        Err(e) => return Report::failed(e.to_string()),
    };
    let mut link = Link::new(conn, sock);
    let outcome = link.handshake().and_then(|()| {
        if let Some(line) = link.receive_line()? {
            let _ = link.send_line(&line);
        }
        link.close();
        Ok(())
    });
    let mut report = Report::new(&link.conn, outcome);
    report.early_data = link.early_data_accepted().then_some("accepted");
    report
}

/// Ok(all connections succeeded), or Err(why the client could not start).
fn client(args: &[String]) -> Result<bool, String> {
    let flags = Flags::parse(
        args,
        "port ca server-name groups cipher-suites cert key early-data message",
        "resume",
    )?;
    let early_data = flags.get("early-data");
    if early_data.is_some() && !flags.has("resume") {
        return Err("--early-data needs --resume: 0-RTT rides on the resumed connection".into());
    }
    let identity = match (flags.get("cert"), flags.get("key")) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => return Err("--cert and --key go together".into()),
    };
    let provider = setup::provider(flags.get("groups"), flags.get("cipher-suites"))?;
    let config = setup::client_config(
        provider,
        &ClientOptions { ca: flags.required("ca")?, identity, early_data: early_data.is_some() },
    )?;
    let name = flags.get("server-name").unwrap_or("localhost");
    let server_name =
        ServerName::try_from(name.to_string()).map_err(|e| format!("--server-name {name}: {e}"))?;
    let port: u16 = flags.required("port")?.parse().map_err(|_| "--port needs a number")?;
    let message = flags.get("message").unwrap_or("hello from pqi-rustls");

    // With --resume the second connection resumes from the tickets the first one received.
    let connections = if flags.has("resume") { 2 } else { 1 };
    for n in 0..connections {
        let early = if n == 1 { early_data } else { None };
        let report = connect(&config, server_name.clone(), port, message, early);
        println!("{}", report.to_json());
        if !report.ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Handshake, send `message`, then read until the server closes. Servers that echo (pqi-rustls)
/// must echo it exactly; others (`openssl s_server` prints it) may just close. Reading on matters
/// anyway: it collects the session tickets, and in TLS 1.3 a server rejects a client certificate
/// only after the client's handshake is done, with an alert that arrives here.
fn connect(
    config: &Arc<ClientConfig>,
    server_name: ServerName<'static>,
    port: u16,
    message: &str,
    early_data: Option<&str>,
) -> Report {
    let sock = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(sock) => sock,
        Err(e) => return Report::failed(format!("connect 127.0.0.1:{port}: {e}")),
    };
    let _ = sock.set_read_timeout(Some(IDLE_TIMEOUT));
    let conn = match ClientConnection::new(config.clone(), server_name) {
        Ok(conn) => conn,
        Err(e) => return Report::failed(e.to_string()),
    };
    let mut link = Link::new(conn, sock);
    if let Some(text) = early_data {
        link.write_early_data(text);
    }
    let outcome = link.handshake().and_then(|()| {
        link.send_line(message)?;
        link.close();
        match link.receive_line()? {
            Some(echo) if echo != message => {
                let echo: String = echo.chars().take(80).collect();
                Err(Failure::plain(format!("echo mismatch: sent {message:?}, got {echo:?}")))
            }
            _ => Ok(()),
        }
    });
    let mut report = Report::new(&link.conn, outcome);
    if early_data.is_some() {
        report.early_data = Some(if link.early_data_accepted() { "accepted" } else { "rejected" });
    }
    report
}
