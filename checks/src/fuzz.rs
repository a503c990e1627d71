//! Property tests ("fuzzing") of every parser that reads outside input, beyond those next to
//! their parsers (retry-after, Go durations and HTTP dates in `retry`, payloads in `payload`,
//! redaction in `secret`). Case counts come from `PROPTEST_CASES` when set:
//! `scripts/fuzz 200000` runs every property with 200,000 inputs.

use proptest::prelude::*;
use serde_json::Value;

/// The case count: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// JSON values shaped like status pages: the keys the parsers look for, nested a few levels.
fn status_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("operational"),
            Just("full_outage"),
            Just("major_outage"),
            Just("resolved"),
            Just("in_progress"),
            Just("Chat Completions"),
            Just("APIs")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        "\\PC{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop_oneof![
            Just("summary"),
            Just("components"),
            Just("status"),
            Just("indicator"),
            Just("page"),
            Just("incidents"),
            Just("name"),
            Just("id"),
            Just("group"),
            Just("group_id"),
            Just("affected_components"),
            Just("component_id"),
            Just("ongoing_incidents"),
            Just("updates"),
            Just("published_at"),
            Just("message_string"),
            Just("structure"),
            Just("items"),
            Just("incident_updates"),
            Just("body"),
            Just("scheduled_maintenances"),
            Just("in_progress_maintenances"),
            Just("component_impacts"),
        ]
        .prop_map(str::to_owned);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..7).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn status_pages_never_panic(doc in status_json()) {
        for page in [crate::checks::status::page::parse_statuspage(&doc), crate::checks::status::page::parse_incident_io(&doc)].into_iter().flatten() {
            for c in &page.components {
                // incident.io's word is normalised to Statuspage's.
                prop_assert_ne!(c.status.as_str(), "full_outage");
                let _ = crate::checks::status::page::severity_rank(&c.status);
            }
        }
    }

    #[test]
    fn proxy_urls_and_no_proxy_lists_never_panic(raw in "\\PC{0,60}", list in "[a-z0-9.*:, \\[\\]-]{0,60}", host in "[a-z0-9.:\\[\\]-]{0,30}") {
        if let Ok(url) = crate::net::proxy_env::parse_proxy_url(&raw) {
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            let shown = crate::net::proxy_env::redacted_url(&url);
            if let Some(pw) = url.password().filter(|p| p.len() > 3) {
                prop_assert!(!shown.contains(&format!(":{pw}@")), "password shown: {}", shown);
            }
        }
        let _ = crate::net::proxy_env::no_proxy_list_match(&list, &host);
        let env = crate::config::Env::from_pairs([("HTTPS_PROXY", raw.as_str()), ("NO_PROXY", list.as_str())]);
        let target = url::Url::parse("https://api.openai.com/v1").unwrap();
        let _ = crate::net::proxy_env::choose(&env, &target).map(|c| c.display());
    }

    #[test]
    fn resolv_conf_never_panics(text in "((nameserver|search|domain|options|ndots:|#)[ \\PC]{0,30}\\n){0,8}") {
        let conf = crate::net::resolv_conf::ResolvConf::parse(&text);
        prop_assert!(conf.ndots <= 15);
        let _ = conf.searched_first("api.openai.com");
    }

    #[test]
    fn cgroup_files_never_panic(cgroup in "([0-9]{1,2}:[a-z,]{0,20}:[/a-z0-9.\\\\]{0,30}\\n){0,4}",
                                mountinfo in "([0-9 ]{0,10}[/a-z0-9\\\\ ]{0,30} - (cgroup2?|ext4) [a-z ,]{0,20}\\n){0,4}",
                                value in "(max|[0-9]{0,20}|-1|[ a-z_0-9\\n]{0,30})") {
        let dir = tempfile::tempdir().unwrap();
        let write = |p: &str, t: &str| {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        };
        write("proc/self/cgroup", &cgroup);
        write("proc/self/mountinfo", &mountinfo);
        write("proc/self/limits", &format!("Max open files {value}\n"));
        for f in ["memory.max", "memory.current", "memory.events", "cpu.max", "pids.max", "pids.current", "memory/memory.limit_in_bytes"] {
            write(&format!("sys/fs/cgroup/{f}"), &value);
        }
        let fs = crate::checks::container::cgroup::Fs::new(dir.path());
        let _ = crate::checks::container::cgroup::read_limits(&fs);
        let _ = crate::checks::container::cgroup::open_files(&fs);
    }

    #[test]
    fn connect_answers_and_certificates_never_panic(head in prop::collection::vec(any::<u8>(), 0..300), der in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = crate::net::tunnel::parse_head(&head, std::time::Instant::now());
        let _ = crate::checks::tls::chain::describe(&rustls::pki_types::CertificateDer::from(der));
    }

    #[test]
    fn hosts_files_never_panic(text in "\\PC{0,200}", host in "[a-z.]{0,20}") {
        let _ = crate::checks::dns::hosts_file::entries_for(&text, &host);
    }
}
