//! The status check's details: which page was read and what it says about the API, or, when
//! no page could be read, what was tried.

use serde::{Deserialize, Serialize};

/// The status check's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Status {
    /// A page was read.
    Read(Read),
    /// No page could be read.
    Unread(Unread),
}

/// What the page said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {
    /// The page read.
    pub url: String,
    /// Its format.
    pub format: Format,
    /// Statuspage's page-wide indicator (all products).
    pub page_indicator: Option<String>,
    /// The API components and their status.
    pub api_components: Vec<ComponentStatus>,
    /// API components the doctor expects and the page does not list.
    pub not_shown: Vec<String>,
    /// Ongoing incidents.
    pub incidents: Vec<Incident>,
    /// Maintenances in progress.
    pub maintenances: Vec<Incident>,
    /// Pages tried before this one, and why they failed.
    pub fallback_reasons: Vec<String>,
}

/// Why no page could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unread {
    /// Each URL tried, with its error.
    pub tried: Vec<String>,
}

/// An API component's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentStatus {
    /// Display name.
    pub name: String,
    /// Its status word.
    pub status: String,
}

/// Which format the page was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Atlassian Statuspage v2 (`/api/v2/summary.json`).
    Statuspage,
    /// incident.io widget feed (`/proxy/<host>`).
    IncidentIo,
    /// Both feeds, merged.
    Merged,
}

/// An ongoing incident or a maintenance in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// Title.
    pub name: String,
    /// `investigating`, `identified`, `monitoring`, `in_progress`, ...
    pub status: String,
    /// Statuspage impact (`minor`, `major`, `critical`), when given.
    pub impact: Option<String>,
    /// When it started (as the page says).
    pub since: Option<String>,
    /// The latest update's text.
    pub latest_update: Option<String>,
    /// Names of the components it affects.
    pub components: Vec<String>,
    /// Whether it touches an API component.
    pub touches_api: bool,
    /// No component listed and a title that names no product: it may touch the API.
    pub unscoped: bool,
    /// When a maintenance is scheduled to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}
