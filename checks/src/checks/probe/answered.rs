//! Who answered each probe request, in the probe's terms (issue 23): the kind of failure a
//! judgement of the answer (`net::answer`) leads to when it is not the API's usual status, and
//! the words a finding adds: the sender, its evidence, who can fix it.

use crate::net::answer::{Judgement, Sender};

use super::Kind;

/// The kind a judged non-2xx answer (or a 2xx that is not the API's) comes to, when its sender or
/// its catalogue entry says more than the status; `None` leaves it to the status rules.
pub(super) fn kind_of(j: &Judgement, status: u16) -> Option<Kind> {
    match &j.sender {
        Sender::Cloudflare { code: 1015 | 1020, .. } => return Some(Kind::EdgeBlocked(status)),
        Sender::Cloudflare { .. } if (200..300).contains(&status) => return Some(Kind::NotApi(status)),
        Sender::Cloudflare { .. } => return None,
        Sender::Proxy { .. } => return Some(Kind::Proxy(status)),
        // A redirect is the redirect check's (where it points, whether to plain http); the
        // finding still says who answered.
        Sender::Portal if (300..400).contains(&status) => return None,
        Sender::Portal => return Some(Kind::Portal(status)),
        // A bare 404 from whatever serves the base URL is a wrong path first (`probe.not_found`).
        Sender::Unknown { .. } if status == 404 || (300..400).contains(&status) => return None,
        Sender::Unknown { .. } => return Some(Kind::NotApi(status)),
        // vLLM or Ollama serve the models themselves: their errors are the server's, judged like
        // the API's (a model not found is that), not a hop's own.
        Sender::Gateway { own: Some(_), product, .. }
            if status >= 300 && !product.is_some_and(crate::net::answer::Gateway::compatible_server) =>
        {
            return Some(Kind::Gateway(status));
        }
        Sender::Api | Sender::Azure | Sender::Gateway { .. } => {}
    }
    if (200..300).contains(&status) {
        return None;
    }
    Some(match j.diagnosis.as_ref()?.id {
        "billing_not_active" | "billing_hard_limit_reached" => Kind::Billing,
        "insufficient_quota" | "rate_limit.quota" => Kind::Quota,
        "missing_scopes" => Kind::KeyScopes,
        "https_required" => Kind::HttpsRequired,
        "organization_verification_required" => Kind::OrgVerification,
        "mismatched_project" => Kind::ProjectMismatch,
        "unsupported_parameter"
        | "unsupported_value"
        | "context_length_exceeded"
        | "model_retired"
        | "rate_limit.request_too_large" => Kind::RequestRejected(status),
        _ => return None,
    })
}

/// `answered by Cloudflare's edge in front of api.openai.com (evidence: …); who can fix it: OpenAI`.
pub(super) fn attribution(j: &Judgement) -> String {
    let evidence: Vec<&str> = j.evidence.iter().take(3).map(String::as_str).collect();
    format!("answered by {} (evidence: {}); who can fix it: {}", j.who(), evidence.join("; "), j.fixer.as_str())
}

/// The judgement's own account of what happened, when it adds to the status and the quote: a
/// page's meaning, a gateway's own error, a relayed upstream's class, a catalogue entry's facts.
pub(super) fn what(j: &Judgement) -> Option<&str> {
    let says_more = match &j.sender {
        Sender::Api | Sender::Azure => j.diagnosis.as_ref().is_some_and(|d| d.id != "unknown"),
        _ => true,
    };
    says_more.then_some(j.what.as_str())
}

/// The judgement's fix, when the sender or the catalogue knows one better than the status does.
pub(super) fn fix(j: &Judgement) -> Option<&str> {
    j.fix.as_deref()
}
