//! The application exchange after the handshake: one echoed line, or with --http one HTTP/1.1
//! request whose answer is the request path without its "/" (docs/peer-contract.md).

use crate::link::Link;
use crate::report::Failure;

#[derive(Clone, Copy)]
pub struct Exchange {
    http: bool,
}

impl Exchange {
    pub fn new(http: bool) -> Self {
        Self { http }
    }

    /// Server: read the client's line (or request head) and answer it. A client that sends
    /// nothing and closes gets no answer.
    pub fn answer(self, link: &mut Link) -> Result<(), Failure> {
        if !self.http {
            if let Some(line) = link.receive_line()? {
                link.send(format!("{line}\n").as_bytes())?;
            }
            return Ok(());
        }
        let head = link.receive_until(|data| find(data, b"\r\n\r\n").is_some())?;
        let head = String::from_utf8_lossy(&head);
        let Some(path) = head.lines().next().and_then(|line| line.split(' ').nth(1)) else {
            return Ok(());
        };
        let body = path.strip_prefix('/').unwrap_or(path);
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        link.send(response.as_bytes())
    }

    /// Client: send `message` (after `resent`, 0-RTT text the server rejected) and read the
    /// answer: "matched", "mismatched", or "none" when nothing came back.
    pub fn ask(
        self,
        link: &mut Link,
        resent: &str,
        message: &str,
    ) -> Result<&'static str, Failure> {
        let answer = if self.http {
            let request =
                format!("GET /{message} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            link.send(format!("{resent}{request}").as_bytes())?;
            let response = link.receive_until(response_complete)?;
            find(&response, b"\r\n\r\n")
                .map(|end| String::from_utf8_lossy(&response[end + 4..]).into_owned())
        } else {
            link.send(format!("{resent}{message}\n").as_bytes())?;
            link.receive_line()?
        };
        Ok(match answer {
            None => "none",
            Some(text) if text == message || text == format!("{resent}{message}") => "matched",
            Some(_) => "mismatched",
        })
    }
}

/// A response is complete once its head and content-length bytes of body are in.
fn response_complete(data: &[u8]) -> bool {
    let Some(end) = find(data, b"\r\n\r\n") else { return false };
    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok());
    length.is_some_and(|n| data.len() >= end + 4 + n)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
