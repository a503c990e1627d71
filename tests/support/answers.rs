//! The real answers of `tests/fixtures/answers/` (format in its README) as replies the loopback
//! API serves: status, the quoted headers, the quoted body. A file whose status was not quoted
//! (000) cannot be served and is refused here.

use super::server::Reply;

/// The fixture `name` (`proxy/squid_err_access_denied_403_headers.http`) as a reply. Without a
/// quoted content type, HTML-looking bodies get `text/html` and the rest `application/json`, as
/// their senders label them.
pub fn reply(name: &str) -> Reply {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/answers").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.split_inclusive('\n');
    let status_line = lines.by_ref().find(|l| l.starts_with("HTTP/")).expect("a status line");
    let status: u16 = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    assert_ne!(status, 0, "{name}: its status was not quoted; it cannot be served");
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').expect("a header line");
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let body: String = lines.collect();
    // Length and framing are the server's own; a replayed Date is the report's day, not now.
    let skip = ["content-length", "connection", "transfer-encoding", "date"];
    let headers: Vec<(String, String)> =
        headers.into_iter().filter(|(k, _)| !skip.contains(&k.to_ascii_lowercase().as_str())).collect();
    let quoted_type = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.clone());
    let content_type = quoted_type.unwrap_or_else(|| {
        if body.trim_start().starts_with('<') { "text/html".to_owned() } else { "application/json".to_owned() }
    });
    let mut reply = Reply::new(status, &content_type, body);
    for (k, v) in headers.into_iter().filter(|(k, _)| !k.eq_ignore_ascii_case("content-type")) {
        reply = reply.header(&k, &v);
    }
    reply
}
