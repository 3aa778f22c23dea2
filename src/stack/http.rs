//! A minimal blocking HTTP/1.0 client for health checks and local API calls
//! (`/-/ready`, `/health`, Prometheus' JSON API). Plain `http://host:port/path`
//! only: everything `genmon up` talks to listens on 127.0.0.1 without TLS, and
//! the container health check must not need curl.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A response: status code and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// Split `http://host:port/path?query` into (`host:port`, `/path?query`).
fn split(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url}: no host"));
    }
    let authority = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_string()))
}

/// Send one request and read the whole response (HTTP/1.0: the server closes
/// the connection and never uses chunked encoding).
pub fn request(method: &str, url: &str, body: Option<&str>, timeout: Duration) -> Result<Response, String> {
    let (authority, path) = split(url)?;
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{url}: cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: {authority} has no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{url}: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let host = authority.as_str();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: genmon\r\nAccept: */*\r\nConnection: close\r\n");
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).map_err(|e| format!("{url}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("{url}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{url}: not an HTTP response"))?;
    Ok(Response {
        status,
        body: body.to_string(),
    })
}

/// `GET url`.
pub fn get(url: &str, timeout: Duration) -> Result<Response, String> {
    request("GET", url, None, timeout)
}

/// True when `GET url` answers 200 within `timeout`.
pub fn is_ok(url: &str, timeout: Duration) -> bool {
    get(url, timeout).is_ok_and(|r| r.status == 200)
}

/// Percent-encode a query-string value.
pub fn encode(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        assert_eq!(
            split("http://127.0.0.1:9090/-/ready").unwrap(),
            ("127.0.0.1:9090".into(), "/-/ready".into())
        );
        assert_eq!(split("http://localhost").unwrap(), ("localhost:80".into(), "/".into()));
        assert!(split("https://x/").is_err());
    }

    #[test]
    fn encodes() {
        assert_eq!(encode("up{job=\"a\"} == 1"), "up%7Bjob%3D%22a%22%7D%20%3D%3D%201");
    }
}
