//! Parses a status page into one model: Atlassian Statuspage v2 `summary.json` and incident.io's
//! native widget feed. Tolerant of missing fields, never panics on garbage (it walks
//! `serde_json::Value`), and picks out the API components by name, not by ID.

use serde::Serialize;
use serde_json::Value;

/// Component names (and group names) that make up "the API" on OpenAI's page.
pub const API_COMPONENTS: &[&str] = &[
    "chat completions",
    "responses",
    "embeddings",
    "batch",
    "files",
    "realtime",
    "audio",
    "images",
    "moderations",
    "fine-tuning",
    "fine tuning",
    "assistants",
    "api",
];
/// Group names whose members are API components.
pub const API_GROUPS: &[&str] = &["api", "apis"];

pub use crate::details::status::{Format, Incident};

/// A component with its status normalised to Statuspage words (`full_outage` → `major_outage`).
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// Component id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `operational`, `degraded_performance`, `partial_outage`, `major_outage`,
    /// `under_maintenance`, or the page's own word when unknown.
    pub status: String,
    /// Name of the group it belongs to.
    pub group: Option<String>,
    /// Whether it is one of the API components.
    pub is_api: bool,
}

/// A parsed page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// Format it came in.
    pub format: Format,
    /// Statuspage's page-wide indicator (all products, not only the API).
    pub indicator: Option<String>,
    /// Every component.
    pub components: Vec<Component>,
    /// Ongoing incidents.
    pub incidents: Vec<Incident>,
    /// Maintenances in progress.
    pub maintenances: Vec<Incident>,
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Normalises a component status word.
#[must_use]
pub fn normalise(status: &str) -> String {
    match status {
        "full_outage" => "major_outage".to_owned(),
        other => other.to_owned(),
    }
}

fn is_api_name(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    API_COMPONENTS.contains(&lower.as_str())
}

fn is_api_group(name: Option<&str>) -> bool {
    name.is_some_and(|g| API_GROUPS.contains(&g.trim().to_ascii_lowercase().as_str()))
}

/// Whether a title names a product other than the API (ChatGPT, Sora, Codex).
#[must_use]
pub fn title_names_other_product(title: &str) -> bool {
    let lower = title.to_ascii_lowercase();
    lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| matches!(w, "chatgpt" | "sora" | "codex" | "gpts"))
}

/// Whether an incident's title names the API or one of its components ("Elevated errors on the
/// Responses API", "Batch jobs delayed"), for incidents that list no components.
#[must_use]
pub fn title_mentions_api(title: &str) -> bool {
    let lower = title.to_ascii_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
    let has = |phrase: &str| {
        let parts: Vec<&str> = phrase.split(' ').collect();
        words.windows(parts.len()).any(|w| w == parts.as_slice())
    };
    // "Slow responses in ChatGPT" is about ChatGPT, unless the API is named too.
    let other_product = ["chatgpt", "sora", "codex"].iter().any(|p| has(p));
    if other_product && !has("api") {
        return false;
    }
    [
        "api",
        "apis",
        "chat completions",
        "completions",
        "responses",
        "embeddings",
        "batch",
        "files",
        "realtime",
        "fine-tuning",
        "assistants",
        "moderations",
    ]
    .iter()
    .any(|p| has(p))
}

/// Parses a Statuspage v2 summary. `None` when the document is not one.
#[must_use]
pub fn parse_statuspage(doc: &Value) -> Option<Page> {
    let components_raw = doc.get("components")?.as_array()?;
    if doc.get("status").and_then(|s| s.get("indicator")).is_none() && doc.get("page").is_none() {
        return None;
    }
    let group_names: Vec<(String, String)> = components_raw
        .iter()
        .filter(|c| c.get("group").and_then(Value::as_bool) == Some(true))
        .filter_map(|c| Some((s(c, "id")?, s(c, "name")?)))
        .collect();
    let group_of = |c: &Value| -> Option<String> {
        let gid = s(c, "group_id")?;
        group_names.iter().find(|(id, _)| *id == gid).map(|(_, n)| n.clone())
    };
    let components: Vec<Component> = components_raw
        .iter()
        .filter(|c| c.get("group").and_then(Value::as_bool) != Some(true))
        .filter_map(|c| {
            let name = s(c, "name")?;
            let group = group_of(c);
            Some(Component {
                id: s(c, "id").unwrap_or_default(),
                is_api: is_api_name(&name) || is_api_group(group.as_deref()),
                status: normalise(&s(c, "status").unwrap_or_else(|| "unknown".to_owned())),
                name,
                group,
            })
        })
        .collect();
    let api_names: Vec<&str> = components.iter().filter(|c| c.is_api).map(|c| c.name.as_str()).collect();
    let incident = |i: &Value| -> Option<Incident> {
        let comps: Vec<String> = arr(i, "components").iter().filter_map(|c| s(c, "name")).collect();
        // OpenAI's Statuspage-compatible feed strips the components from incidents: then the
        // title is all there is to go by.
        let touches_api = if comps.is_empty() {
            title_mentions_api(&s(i, "name").unwrap_or_default())
        } else {
            comps.iter().any(|n| api_names.contains(&n.as_str()) || is_api_name(n))
        };
        let latest = arr(i, "incident_updates").first().and_then(|u| s(u, "body"));
        let title = s(i, "name").unwrap_or_default();
        Some(Incident {
            unscoped: comps.is_empty() && !touches_api && !title_names_other_product(&title),
            until: s(i, "scheduled_until"),
            name: s(i, "name")?,
            status: s(i, "status").unwrap_or_default(),
            impact: s(i, "impact"),
            since: s(i, "started_at").or_else(|| s(i, "created_at")),
            latest_update: latest.filter(|b| !b.trim().is_empty()),
            components: comps,
            touches_api,
        })
    };
    let incidents = arr(doc, "incidents")
        .iter()
        .filter(|i| !matches!(i.get("status").and_then(Value::as_str), Some("resolved" | "postmortem")))
        .filter_map(incident)
        .collect();
    let maintenances = arr(doc, "scheduled_maintenances")
        .iter()
        .filter(|m| matches!(m.get("status").and_then(Value::as_str), Some("in_progress" | "verifying")))
        .filter_map(incident)
        .collect();
    Some(Page {
        format: Format::Statuspage,
        indicator: doc.get("status").and_then(|st| s(st, "indicator")),
        components,
        incidents,
        maintenances,
    })
}

/// Parses incident.io's widget feed (`{"summary": {...}}`). `None` when the document is not one.
#[must_use]
pub fn parse_incident_io(doc: &Value) -> Option<Page> {
    let summary = doc.get("summary").filter(|v| v.is_object()).unwrap_or(doc);
    let components_raw = summary.get("components")?.as_array()?;
    if summary.get("ongoing_incidents").is_none() && summary.get("affected_components").is_none() {
        return None;
    }
    let mut groups: Vec<(String, String)> = Vec::new(); // (component_id, group name)
    for item in arr(summary.get("structure").unwrap_or(&Value::Null), "items") {
        if let Some(group) = item.get("group") {
            let gname = s(group, "name").unwrap_or_default();
            for c in arr(group, "components") {
                if let Some(id) = s(c, "component_id") {
                    groups.push((id, gname.clone()));
                }
            }
        }
    }
    let affected: Vec<(String, String)> = arr(summary, "affected_components")
        .iter()
        .filter_map(|a| Some((s(a, "component_id")?, s(a, "status")?)))
        .collect();
    let components: Vec<Component> = components_raw
        .iter()
        .filter_map(|c| {
            let id = s(c, "id")?;
            let name = s(c, "name")?;
            let group = groups.iter().find(|(cid, _)| *cid == id).map(|(_, g)| g.clone());
            let status = affected
                .iter()
                .find(|(cid, _)| *cid == id)
                .map_or_else(|| "operational".to_owned(), |(_, st)| normalise(st));
            Some(Component { is_api: is_api_name(&name) || is_api_group(group.as_deref()), id, name, status, group })
        })
        .collect();
    let name_of = |id: &str| components.iter().find(|c| c.id == id).map(|c| (c.name.clone(), c.is_api));
    let incident = |i: &Value| -> Option<Incident> {
        let touched: Vec<(String, bool)> = arr(i, "affected_components")
            .iter()
            .chain(arr(i, "component_impacts"))
            .filter_map(|a| s(a, "component_id"))
            .filter_map(|id| name_of(&id))
            .collect();
        let mut names: Vec<String> = touched.iter().map(|(n, _)| n.clone()).collect();
        names.dedup();
        let latest = arr(i, "updates")
            .iter()
            .max_by_key(|u| s(u, "published_at").unwrap_or_default())
            .and_then(|u| s(u, "message_string"));
        let title = s(i, "name").unwrap_or_default();
        Some(Incident {
            unscoped: touched.is_empty() && !title_mentions_api(&title) && !title_names_other_product(&title),
            until: s(i, "scheduled_end").or_else(|| s(i, "ends_at")),
            name: s(i, "name")?,
            status: s(i, "status").unwrap_or_default(),
            impact: None,
            since: s(i, "published_at").or_else(|| s(i, "started_at")),
            latest_update: latest.filter(|b| !b.trim().is_empty()),
            touches_api: touched.iter().any(|(_, api)| *api) || (touched.is_empty() && title_mentions_api(&title)),
            components: names,
        })
    };
    let incidents = arr(summary, "ongoing_incidents").iter().filter_map(incident).collect();
    let maintenances = arr(summary, "in_progress_maintenances").iter().filter_map(incident).collect();
    Some(Page { format: Format::IncidentIo, indicator: None, components, incidents, maintenances })
}

/// Rank of a normalised component status, worst highest.
#[must_use]
pub fn severity_rank(status: &str) -> u8 {
    match status {
        "operational" => 0,
        "under_maintenance" => 1,
        "degraded_performance" => 2,
        "partial_outage" => 3,
        "major_outage" => 4,
        _ => 1,
    }
}

/// Words for a status: `major_outage` → "major outage".
#[must_use]
pub fn words(status: &str) -> String {
    status.replace('_', " ")
}

/// Both of OpenAI's feeds as one page: the Statuspage-compatible summary lists only some
/// components (snapshots have shown neither Chat Completions nor Responses) and strips components
/// from incidents, while incident.io's feed lists every component. A component is the worst of
/// its two statuses, API when either feed says so; incidents and maintenances are the union (by
/// title), an incident touching the API when either feed says so.
#[must_use]
pub fn merge(mut a: Page, b: Page) -> Page {
    for c in b.components {
        match a.components.iter_mut().find(|x| x.name.eq_ignore_ascii_case(&c.name)) {
            Some(x) => {
                if severity_rank(&c.status) > severity_rank(&x.status) {
                    x.status = c.status;
                }
                x.is_api |= c.is_api;
            }
            None => a.components.push(c),
        }
    }
    for (mine, theirs) in [(&mut a.incidents, b.incidents), (&mut a.maintenances, b.maintenances)] {
        for i in theirs {
            match mine.iter_mut().find(|x| x.name == i.name) {
                Some(x) => {
                    x.touches_api |= i.touches_api;
                    x.unscoped &= i.unscoped && !x.touches_api;
                    if x.components.is_empty() {
                        x.components = i.components;
                    }
                    if x.until.is_none() {
                        x.until = i.until;
                    }
                }
                None => mine.push(i),
            }
        }
    }
    a.format = Format::Merged;
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuspage_groups_and_names_pick_api_components() {
        let doc = json!({
            "page": {"id": "x"}, "status": {"indicator": "major", "description": "Partial"},
            "components": [
                {"id": "g1", "name": "APIs", "group": true, "status": "operational"},
                {"id": "c1", "name": "Chat Completions", "status": "major_outage", "group_id": null},
                {"id": "c2", "name": "Codex API", "status": "degraded_performance", "group_id": "g1"},
                {"id": "c3", "name": "ChatGPT", "status": "partial_outage"}
            ],
            "incidents": [
                {"name": "Elevated errors", "status": "investigating", "impact": "major",
                 "started_at": "2026-11-25T10:00:00Z",
                 "incident_updates": [{"body": "We are investigating"}],
                 "components": [{"name": "Chat Completions"}]},
                {"name": "Old", "status": "resolved", "components": []},
                {"name": "ChatGPT login", "status": "identified", "components": [{"name": "ChatGPT"}]}
            ],
            "scheduled_maintenances": [{"name": "DB upgrade", "status": "in_progress", "components": [{"name": "Files"}]}]
        });
        let page = parse_statuspage(&doc).unwrap();
        let api: Vec<_> = page.components.iter().filter(|c| c.is_api).map(|c| c.name.as_str()).collect();
        assert_eq!(api, ["Chat Completions", "Codex API"]);
        assert_eq!(page.incidents.len(), 2);
        assert!(page.incidents[0].touches_api);
        assert!(!page.incidents[1].touches_api);
        assert_eq!(page.incidents[0].latest_update.as_deref(), Some("We are investigating"));
        assert_eq!(page.maintenances.len(), 1);
        assert!(page.maintenances[0].touches_api);
    }

    #[test]
    fn incident_io_full_outage_is_major_outage() {
        let doc = json!({"summary": {
            "components": [{"id": "a", "name": "Responses"}, {"id": "b", "name": "Sora"}],
            "affected_components": [{"component_id": "a", "status": "full_outage"}],
            "ongoing_incidents": [{"name": "Responses down", "status": "identified",
                "published_at": "2026-11-25T09:00:00Z",
                "affected_components": [{"component_id": "a", "status": "full_outage"}],
                "updates": [{"published_at": "2026-11-25T09:00:00Z", "message_string": "first"},
                            {"published_at": "2026-11-25T09:30:00Z", "message_string": "latest"}]}],
            "in_progress_maintenances": []
        }});
        let page = parse_incident_io(&doc).unwrap();
        assert_eq!(page.components[0].status, "major_outage");
        assert_eq!(page.components[1].status, "operational");
        assert!(page.incidents[0].touches_api);
        assert_eq!(page.incidents[0].latest_update.as_deref(), Some("latest"));
    }

    #[test]
    fn incidents_without_components_are_judged_by_their_title() {
        for (title, api) in [
            ("Elevated error rates on the Responses API", true),
            ("Increased latency for Chat Completions", true),
            ("Batch jobs delayed", true),
            ("Fine-tuning jobs failing", true),
            ("ChatGPT login issues", false),
            ("Sora video generation degraded", false),
            ("Elevated errors for some users", false),
            ("Rapid response in progress", false),
            ("Slow responses in ChatGPT", false),
            ("ChatGPT and API errors", true),
        ] {
            assert_eq!(title_mentions_api(title), api, "{title}");
        }
        let doc = json!({"page": {}, "status": {"indicator": "major"},
            "components": [{"id": "c1", "name": "Responses", "status": "operational"}],
            "incidents": [{"name": "Elevated errors on the Responses API", "status": "investigating", "components": []}]});
        assert!(parse_statuspage(&doc).unwrap().incidents[0].touches_api);
    }

    #[test]
    fn garbage_is_not_a_page() {
        for doc in [json!(null), json!([]), json!({"components": 3}), json!({"status": "ok"}), json!("x")] {
            assert!(parse_statuspage(&doc).is_none(), "{doc}");
            assert!(parse_incident_io(&doc).is_none(), "{doc}");
        }
    }
}
