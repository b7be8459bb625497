//! One TLS connection over a blocking TCP socket. The I/O loop is written out (instead of
//! rustls' complete_io) so a failure keeps its rustls error and the alert that went out.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use rustls::Connection;

use crate::report::{plaintext_alert, Failure};

/// Enough for any line or HTTP message this program expects; a peer streaming data without an
/// end stops here.
const MAX_READ: usize = 16 * 1024;

pub struct Link {
    pub conn: Connection,
    sock: TcpStream,
    sent_alert: Option<u8>,
    early_data_accepted: bool,
}

impl Link {
    pub fn new(conn: impl Into<Connection>, sock: TcpStream) -> Self {
        Self { conn: conn.into(), sock, sent_alert: None, early_data_accepted: false }
    }

    /// Client: queue `text` as 0-RTT data. False when rustls offers no 0-RTT on this connection
    /// (no ticket, or a ticket without max_early_data_size): then nothing was queued.
    pub fn write_early_data(&mut self, text: &str) -> bool {
        let Connection::Client(client) = &mut self.conn else { return false };
        let Some(mut early) = client.early_data() else { return false };
        let _ = early.write_all(text.as_bytes());
        true
    }

    /// Client: the server took our 0-RTT data. Server: the client sent 0-RTT data we took.
    pub fn early_data_accepted(&self) -> bool {
        match &self.conn {
            Connection::Client(client) => client.is_early_data_accepted(),
            Connection::Server(_) => self.early_data_accepted,
        }
    }

    pub fn handshake(&mut self) -> Result<(), Failure> {
        while self.conn.is_handshaking() {
            self.flush()?;
            if self.conn.is_handshaking() && !self.receive()? {
                return Err(Failure::plain("peer closed the connection during the handshake"));
            }
        }
        self.flush()
    }

    pub fn send(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.conn.writer().write_all(data).map_err(io_failure)?;
        self.flush()
    }

    /// Application data until `complete` says it holds what we wait for, or the peer closed
    /// (close_notify or just TCP). Only TLS errors fail: a peer that hangs up is done talking.
    pub fn receive_until(&mut self, complete: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>, Failure> {
        let mut data = Vec::new();
        let mut buffer = [0u8; 4096];
        while !complete(&data) && data.len() < MAX_READ {
            match self.conn.reader().read(&mut buffer) {
                Ok(0) => break, // close_notify
                Ok(n) => data.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !self.receive()? {
                        break;
                    }
                }
                Err(_) => break, // closed without close_notify
            }
        }
        Ok(data)
    }

    /// The first line of application data without its newline; None when none came.
    pub fn receive_line(&mut self) -> Result<Option<String>, Failure> {
        let data = self.receive_until(|data| data.contains(&b'\n'))?;
        Ok(String::from_utf8_lossy(&data).lines().next().map(str::to_string))
    }

    pub fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }

    /// Reads and processes more records; Ok(false) when the peer closed the TCP connection.
    fn receive(&mut self) -> Result<bool, Failure> {
        match self.conn.read_tls(&mut self.sock) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(false),
            Err(e) => return Err(io_failure(e)),
        }
        if let Err(error) = self.conn.process_new_packets() {
            let queued = self.conn.wants_write();
            let _ = self.flush(); // the alert rustls queued for this error, if any
            return Err(Failure::tls(&error, queued, self.sent_alert));
        }
        if let Connection::Server(server) = &mut self.conn {
            // Some(..) only once the server accepted 0-RTT. The contract does not echo early
            // data, so it is read apart from the stream and dropped.
            if let Some(mut early) = server.early_data() {
                self.early_data_accepted = true;
                let _ = early.read_to_end(&mut Vec::new());
            }
        }
        Ok(true)
    }

    fn flush(&mut self) -> Result<(), Failure> {
        while self.conn.wants_write() {
            let mut records = Vec::new();
            self.conn.write_tls(&mut records).map_err(io_failure)?;
            if let Some(code) = plaintext_alert(&records) {
                self.sent_alert = Some(code);
            }
            self.sock.write_all(&records).map_err(io_failure)?;
        }
        Ok(())
    }
}

fn io_failure(error: io::Error) -> Failure {
    match error.kind() {
        // The socket's read timeout (SO_RCVTIMEO) surfaces as WouldBlock.
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::plain("peer went silent"),
        _ => Failure::plain(error.to_string()),
    }
}
