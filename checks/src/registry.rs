//! The registry: every check, in report order. It sits above the checks (they never import it),
//! so adding a check is one folder under `checks/`, one `CheckId` variant and one line here; the
//! match is exhaustive, so a variant without its check does not compile.

use std::sync::Arc;

use crate::checks::{container, dns, payload, probe, proxy, status, stream, timeout, tls};
use crate::engine::check::Check;
use crate::model::CheckId;

/// The check behind an id.
#[must_use]
pub fn check(id: CheckId) -> Arc<dyn Check> {
    match id {
        CheckId::Status => Arc::new(status::StatusCheck),
        CheckId::Dns => Arc::new(dns::DnsCheck),
        CheckId::Tls => Arc::new(tls::TlsCheck),
        CheckId::Proxy => Arc::new(proxy::ProxyCheck),
        CheckId::Payload => Arc::new(payload::PayloadCheck),
        CheckId::Probe => Arc::new(probe::ProbeCheck),
        CheckId::Stream => Arc::new(stream::StreamCheck),
        CheckId::Timeout => Arc::new(timeout::TimeoutCheck),
        CheckId::Container => Arc::new(container::ContainerCheck::default()),
    }
}

/// Every check, in report order.
#[must_use]
pub fn registry() -> Vec<Arc<dyn Check>> {
    CheckId::ALL.into_iter().map(check).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_carries_its_own_id() {
        for id in CheckId::ALL {
            assert_eq!(check(id).info().id, id);
        }
        assert_eq!(registry().len(), CheckId::COUNT);
    }

    #[test]
    fn ids_are_unique_lowercase_and_round_trip() {
        for (i, id) in CheckId::ALL.into_iter().enumerate() {
            let s = id.as_str();
            assert!(!s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{s}");
            assert_eq!(CheckId::parse(&s.to_uppercase()), Ok(id));
            assert_eq!(serde_json::to_value(id).unwrap(), s, "JSON says the same id");
            assert!(CheckId::ALL[..i].iter().all(|o| o.as_str() != s), "duplicate {s}");
        }
    }
}
