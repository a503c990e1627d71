//! Status-page documents in both formats OpenAI's page serves, healthy and broken.

use serde_json::{Value, json};

/// Component status per API component name, for building pages.
pub type Components<'a> = &'a [(&'a str, &'a str)];

/// A Statuspage v2 summary with an "APIs" group holding `api`, plus ChatGPT outside it.
pub fn statuspage(api: Components<'_>, incidents: Value) -> Value {
    let mut components =
        vec![json!({"id": "grp", "name": "APIs", "group": true, "status": "operational", "components": []})];
    for (i, (name, status)) in api.iter().enumerate() {
        components
            .push(json!({"id": format!("c{i}"), "name": name, "status": status, "group_id": "grp", "group": false}));
    }
    components
        .push(json!({"id": "chatgpt", "name": "ChatGPT", "status": "major_outage", "group": false, "group_id": null}));
    json!({
        "page": {"id": "test", "name": "OpenAI", "url": "http://127.0.0.1"},
        "status": {"indicator": "major", "description": "Partial System Outage"},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": []
    })
}

/// An incident touching `component`.
pub fn incident(name: &str, component: &str, update: &str) -> Value {
    json!({
        "id": "inc1", "name": name, "status": "investigating", "impact": "major",
        "created_at": "2026-11-25T09:58:00Z", "started_at": "2026-11-25T10:00:00Z",
        "incident_updates": [{"body": update, "status": "investigating"}],
        "components": [{"name": component}]
    })
}

/// incident.io's widget feed with the given API components and statuses.
pub fn incident_io(api: Components<'_>, ongoing: Value) -> Value {
    let components: Vec<Value> =
        api.iter().enumerate().map(|(i, (name, _))| json!({"id": format!("k{i}"), "name": name})).collect();
    let affected: Vec<Value> = api
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| *s != "operational")
        .map(|(i, (_, s))| json!({"component_id": format!("k{i}"), "status": s}))
        .collect();
    json!({"summary": {
        "id": "page", "name": "OpenAI",
        "components": components,
        "affected_components": affected,
        "ongoing_incidents": ongoing,
        "in_progress_maintenances": [],
        "scheduled_maintenances": [],
        "structure": {"items": [{"group": {"name": "APIs", "components": api.iter().enumerate().map(|(i, (n, _))| json!({"component_id": format!("k{i}"), "name": n})).collect::<Vec<_>>()}}]}
    }})
}

/// All API components operational.
pub const HEALTHY: Components<'static> =
    &[("Chat Completions", "operational"), ("Responses", "operational"), ("Embeddings", "operational")];
