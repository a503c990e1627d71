//! What each check measured, typed: one struct per check (`Details`, one variant each), beside
//! the model that carries them, so that renderers read a type, never a JSON key, and never reach
//! into a check's folder. Each struct serialises to the check's `details` object of the JSON
//! report (`schema/report.schema.json`, `$defs/details_<id>`; tests/it/details.rs fails when the
//! two drift). Closed vocabularies (the probe's classes) are defined once here, with `words!`.

pub mod container;
pub mod dns;
pub mod payload;
pub mod probe;
pub mod proxy;
pub mod status;
pub mod stream;
pub mod timeout;
pub mod tls;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Defines a closed vocabulary once: the enum, its words (serde and `as_str`) and `ALL`, every
/// variant in order (a variant cannot be left out of it: each one is written once, here).
macro_rules! words {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $w:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $w)] $v,)+
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: &'static [Self] = &[$(Self::$v),+];

            /// The word as printed and serialised.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$v => $w,)+
                }
            }
        }
    };
}
pub(crate) use words;

/// A check's details: what it measured, typed. Serialises (untagged) to the report's `details`
/// object; the check's id sits beside it in `CheckReport`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Details {
    /// Nothing measured (`{}`): skipped, crashed, or stopped before measuring.
    Nothing(Nothing),
    /// The runner cut the check off at its time limit.
    TimedOut(TimedOut),
    /// `status`.
    Status(Box<status::Status>),
    /// `dns`.
    Dns(Box<dns::Dns>),
    /// `tls`.
    Tls(Box<tls::Tls>),
    /// `proxy`.
    Proxy(Box<proxy::Proxy>),
    /// `payload`.
    Payload(Box<payload::Payload>),
    /// `probe`.
    Probe(Box<probe::Probe>),
    /// `stream`.
    Stream(Box<stream::Stream>),
    /// `timeout`.
    Timeout(Box<timeout::Timeout>),
    /// `container`.
    Container(Box<container::Container>),
}

/// No details: serialises to `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}

/// What the runner reports for a check it cut off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedOut {
    /// What the check was waiting for when its time ran out.
    pub waiting_for: String,
    /// The limit it ran into.
    pub limit_ms: u64,
}

impl Default for Details {
    fn default() -> Self {
        Self::Nothing(Nothing {})
    }
}

impl From<status::Status> for Details {
    fn from(d: status::Status) -> Self {
        Self::Status(Box::new(d))
    }
}

impl From<dns::Looked> for Details {
    fn from(d: dns::Looked) -> Self {
        Self::Dns(Box::new(dns::Dns::Looked(d)))
    }
}

impl From<dns::Direct> for Details {
    fn from(d: dns::Direct) -> Self {
        Self::Dns(Box::new(dns::Dns::Direct(d)))
    }
}

impl From<tls::Tls> for Details {
    fn from(d: tls::Tls) -> Self {
        Self::Tls(Box::new(d))
    }
}

impl From<proxy::Proxy> for Details {
    fn from(d: proxy::Proxy) -> Self {
        Self::Proxy(Box::new(d))
    }
}

impl From<timeout::Timeout> for Details {
    fn from(d: timeout::Timeout) -> Self {
        Self::Timeout(Box::new(d))
    }
}

impl From<payload::Payload> for Details {
    fn from(d: payload::Payload) -> Self {
        Self::Payload(Box::new(d))
    }
}

impl From<probe::Probe> for Details {
    fn from(d: probe::Probe) -> Self {
        Self::Probe(Box::new(d))
    }
}

impl From<stream::Stream> for Details {
    fn from(d: stream::Stream) -> Self {
        Self::Stream(Box::new(d))
    }
}

impl From<container::Container> for Details {
    fn from(d: container::Container) -> Self {
        Self::Container(Box::new(d))
    }
}

impl Details {
    /// `{}`.
    #[must_use]
    pub fn nothing() -> Self {
        Self::default()
    }

    /// The probe's details, when these are.
    #[must_use]
    pub fn probe(&self) -> Option<&probe::Probe> {
        match self {
            Self::Probe(d) => Some(d),
            _ => None,
        }
    }

    /// The container check's details, when these are.
    #[must_use]
    pub fn container(&self) -> Option<&container::Container> {
        match self {
            Self::Container(d) => Some(d),
            _ => None,
        }
    }

    /// The details as the report's JSON object.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Passes every string through `f` (redaction, terminal escapes), whatever the type: through
    /// the serialised form, so a field added later is covered without a line here. Details that
    /// do not survive the trip (a bug) are dropped rather than kept unmapped.
    pub fn map_text(&mut self, f: &dyn Fn(&str) -> String) {
        let ok = match self {
            Self::Nothing(_) => true,
            Self::TimedOut(d) => remap(d, f),
            Self::Status(d) => remap(&mut **d, f),
            Self::Dns(d) => remap(&mut **d, f),
            Self::Tls(d) => remap(&mut **d, f),
            Self::Proxy(d) => remap(&mut **d, f),
            Self::Payload(d) => remap(&mut **d, f),
            Self::Probe(d) => remap(&mut **d, f),
            Self::Stream(d) => remap(&mut **d, f),
            Self::Timeout(d) => remap(&mut **d, f),
            Self::Container(d) => remap(&mut **d, f),
        };
        if !ok {
            *self = Self::nothing();
        }
    }
}

/// `d` with every string passed through `f`; false when it does not come back as its type.
fn remap<T: Serialize + DeserializeOwned>(d: &mut T, f: &dyn Fn(&str) -> String) -> bool {
    let Ok(mut v) = serde_json::to_value(&*d) else { return false };
    map_json_strings(&mut v, f);
    match serde_json::from_value(v) {
        Ok(mapped) => {
            *d = mapped;
            true
        }
        Err(_) => false,
    }
}

/// Passes every string of a JSON value through `f`, in place.
pub fn map_json_strings(value: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = f(s),
        Value::Array(items) => items.iter_mut().for_each(|v| map_json_strings(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| map_json_strings(v, f)),
        _ => {}
    }
}
