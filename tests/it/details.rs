//! The typed details and the committed schema agree: a sample of every check's details, with
//! every optional part present and every variant used, serialises to JSON the schema's strict
//! `$defs/details_<id>` accepts (a key the types add and the schema lacks fails here), and every
//! key the schema names is one the types write (a key the schema keeps and the types dropped
//! fails here). Struct literals: a field added to a type does not compile here until its sample
//! is given. Also: the probe's class vocabulary is the schema's, and details survive `map_text`.

use std::collections::BTreeSet;
use std::net::IpAddr;

use openai_doctor_checks::CheckId;
use openai_doctor_checks::details::{
    Details, Nothing, TimedOut, container, dns, payload, probe, proxy, status, timeout, tls,
};
use openai_doctor_checks::net::resolv_conf::ResolvConf;
use serde_json::{Value, json};

fn schema() -> Value {
    serde_json::from_str(include_str!("../../schema/report.schema.json")).unwrap()
}

fn lookup(query: dns::Query, failure: Option<dns::Failure>) -> dns::Lookup {
    let addrs = if failure.is_some() { Vec::new() } else { vec!["192.0.2.1".parse::<IpAddr>().unwrap()] };
    let cname = if failure.is_some() { Vec::new() } else { vec!["res.privatelink.openai.azure.com".into()] };
    dns::Lookup { query, addrs, cname, ttl: Some(60), failure, elapsed_ms: 3 }
}

fn incident() -> status::Incident {
    status::Incident {
        name: "Elevated errors".into(),
        status: "investigating".into(),
        impact: Some("major".into()),
        since: Some("2026-11-25T10:00:00Z".into()),
        latest_update: Some("We are investigating.".into()),
        components: vec!["Chat Completions".into()],
        touches_api: true,
        unscoped: false,
        until: Some("2026-11-25T12:00:00Z".into()),
    }
}

/// Every check's details, every optional part present, every variant used (error texts carry
/// `SECRET` so that `map_text` has something to change).
fn samples() -> Vec<(CheckId, Details)> {
    let status_read = status::Status::Read(status::Read {
        url: "https://status.openai.com/api/v2/summary.json".into(),
        format: status::Format::Merged,
        page_indicator: Some("minor".into()),
        api_components: vec![status::ComponentStatus { name: "Responses".into(), status: "operational".into() }],
        not_shown: vec!["Chat Completions".into()],
        incidents: vec![incident()],
        maintenances: vec![incident()],
        fallback_reasons: vec!["https://status.openai.com/proxy: timed out".into()],
    });
    let status_unread = status::Status::Unread(status::Unread { tried: vec!["https://x: SECRET refused".into()] });
    let looked = dns::Looked {
        host: "api.openai.com".into(),
        role: "API host".into(),
        nameserver: "127.0.0.53 (system configuration)".into(),
        lookups: vec![
            lookup(dns::Query::A, None),
            lookup(dns::Query::Aaaa, Some(dns::Failure::NoRecords)),
            lookup(dns::Query::System, Some(dns::Failure::Timeout(5000))),
        ],
        hosts_file: dns::HostsFile { path: "/etc/hosts".into(), entries: vec!["10.0.0.1".parse().unwrap()] },
        // The alias answered (with its TTL), its target's server failed: aliases and a failure together.
        api_host_via_this_machine: Some(dns::Lookup {
            query: dns::Query::A,
            addrs: Vec::new(),
            cname: vec!["res.privatelink.openai.azure.com".into()],
            ttl: Some(300),
            failure: Some(dns::Failure::ServFail("SERVFAIL".into())),
            elapsed_ms: 3,
        }),
        each_nameserver: vec![
            dns::EachNameserver { nameserver: "10.0.0.53".into(), lookup: lookup(dns::Query::A, None) },
            dns::EachNameserver {
                nameserver: "10.0.0.54".into(),
                lookup: lookup(dns::Query::A, Some(dns::Failure::Other("SECRET refused".into()))),
            },
            dns::EachNameserver {
                nameserver: "10.0.0.55".into(),
                lookup: lookup(dns::Query::A, Some(dns::Failure::ServFail("SERVFAIL".into()))),
            },
        ],
    };
    let direct = dns::Direct { host: "api.openai.com".into(), addrs: vec!["192.0.2.7".parse().unwrap()], pinned: true };
    let tls = tls::Tls {
        host: "api.openai.com".into(),
        port: 443,
        connections: vec![
            tls::Connection::Connected { to: "192.0.2.1:443".into(), family: "IPv4".into(), connect_ms: 12 },
            tls::Connection::Failed {
                to: "[2001:db8::1]:443".into(),
                family: "IPv6".into(),
                error: "network unreachable".into(),
                detail: "SECRET os error 101".into(),
                after_ms: 1,
            },
        ],
        chain: vec![tls::Cert {
            subject_cn: Some("api.openai.com".into()),
            subject_o: Some("OpenAI".into()),
            issuer_cn: Some("WE1".into()),
            issuer_o: Some("Google Trust Services".into()),
            not_before: "2026-10-01T00:00:00Z".into(),
            not_after: "2026-12-30T00:00:00Z".into(),
            names: vec!["api.openai.com".into()],
            ca_issuers: Some("http://i.pki.goog/we1.crt".into()),
        }],
        trust_anchors: tls::TrustSources {
            system: 140,
            extra: 1,
            errors: vec!["bad.pem: no certificate".into()],
            app: Some("pid 1 (python3), a Python app (httpx/openai: certifi)".into()),
            files: vec!["/usr/lib/python3/site-packages/certifi/cacert.pem in /proc/1/root: 140 certificates".into()],
            looked: vec!["/etc/ssl/certs/ca-certificates.crt".into()],
            certifi: None,
        },
        clients: vec![tls::ClientTrust {
            client: "Python (httpx, requests)".into(),
            store: "certifi".into(),
            trusted: false,
            fix: "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".into(),
        }],
        session: Some(tls::Session {
            version: Some("TLSv1_3".into()),
            cipher: Some("TLS13_AES_128_GCM_SHA256".into()),
            alpn: Some("h2".into()),
        }),
        connect_ms: Some(12),
        handshake_ms: Some(30),
        error: Some("SECRET handshake failure".into()),
    };
    let proxy = proxy::Proxy {
        applies: Some(proxy::Applies {
            var: "HTTPS_PROXY".into(),
            url: "http://user:***@proxy:3128".into(),
            bypassed_by: Some(".openai.com".into()),
        }),
        set: vec!["HTTPS_PROXY".into()],
        proxy_addr: Some("10.0.0.2:3128".into()),
        connect_ms: Some(2),
        connect_reply: Some(proxy::ConnectReply { status: 403, reason: "Forbidden".into(), elapsed_ms: 4 }),
    };
    let payload = payload::Payload {
        endpoint: Some(openai_doctor_checks::request::Endpoint::Chat),
        model: Some("gpt-4.1-nano".into()),
        bytes: 120,
        tokens: Some(9),
        context: Some(1_047_576),
        encoding: Some(payload::Encoding::O200kBase),
        images: (1, 2048),
        problems: vec![payload::Problem {
            path: "/messages/0/role".into(),
            level: payload::Level::Error,
            code: "payload.enum".into(),
            message: "`robot` is not a role".into(),
            fix: "Use system, user, assistant or tool.".into(),
            api_message: Some("Invalid value: 'robot'.".into()),
        }],
    };
    let attempt = |class: probe::Class| probe::Attempt {
        attempt_of: probe::Endpoint::Models,
        status: Some(200),
        result: "ok".into(),
        class,
        request_id: Some("req_1".into()),
        client_request_id: "0b9c6e0e-0000-4000-8000-000000000000".into(),
        ttfb_ms: 80,
        total_ms: 90,
        error: Some("SECRET reset".into()),
        answered_by: Some("api".into()),
    };
    let probe = probe::Probe {
        key: "sk-proj-…abcd".into(),
        base_url: "https://api.openai.com/v1/".into(),
        model: "gpt-4.1-nano".into(),
        series: probe::Class::ALL.iter().map(|c| attempt(*c)).collect(),
        latency_ms: Some(probe::LatencyMs { p50: 90, p95: 90, max: Some(90) }),
        chat: Some(probe::Chat {
            status: Some(200),
            result: "ok".into(),
            request_id: Some("req_2".into()),
            client_request_id: "0b9c6e0e-0000-4000-8000-000000000001".into(),
            total_ms: 300,
            attempts: 1,
            answered_by: Some("gateway:litellm".into()),
        }),
        clock_skew_s: Some(-2),
        reduced: Some(probe::Reduced {
            minimal_body: json!({"model": "gpt-4.1-nano", "messages": []}),
            minimal_body_is: "shape".to_owned(),
            original_bytes: 900,
            minimal_bytes: 40,
            steps: vec![probe::ReduceStep { without: "tools".into(), still_fails: true, request_id: "req_3".into() }],
            stopped: Some("the deadline is near (--deadline)".into()),
        }),
        size_or_content: Some(probe::SizeOrContent {
            cause: "size".into(),
            control_bytes: 20_000,
            control_request_id: "client 0b9c6e0e-0000-4000-8000-000000000004".into(),
            control_timeout_ms: 1500,
            passes_at_bytes: Some(1341),
            fails_at_bytes: Some(1428),
            steps: vec![probe::SizeStep { bytes: 1428, fails: true, request_id: "req_4".into() }],
            stopped: None,
        }),
    };
    let timeout = timeout::Timeout {
        client_timeout_s: 600.0,
        max_retries: 2,
        worst_case_s: 1801.5,
        schedule: "0-600 s, 600.5-1200.5 s, 1201.5-1801.5 s".into(),
        platform: Some(timeout::Platform {
            name: "AWS Lambda".into(),
            deadline_s: Some(30.0),
            source: "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
        }),
        observed: vec![timeout::Observed { what: "models".into(), ttfb_ms: 80, total_ms: 90 }],
        recommended: Some(timeout::Recommended {
            timeout_s: 9.0,
            max_retries: 2,
            schedule: "0-9 s".into(),
            worst_case_s: 28.5,
        }),
    };
    let container = container::Container {
        runtime: Some("Docker container".into()),
        cgroup: Some(container::Limits {
            version: 2,
            path: "/docker/abc".into(),
            dir: "/sys/fs/cgroup".into(),
            memory_limit: Some(256 << 20),
            memory_current: Some(100 << 20),
            oom_kills: Some(1),
            cpu_quota_cores: Some(0.5),
            pids_max: Some(64),
            pids_current: Some(3),
        }),
        memory_limit_human: Some("256 MiB".into()),
        open_files: Some(container::OpenFiles { soft: Some(1024), hard: Some(4096) }),
        resolv_conf: Some(ResolvConf {
            nameservers: vec!["10.96.0.10".into()],
            search: vec!["default.svc.cluster.local".into()],
            ndots: 5,
            timeout_s: 5,
            attempts: 2,
        }),
        host: container::HostFacts {
            memory_total: 8 << 30,
            cpus: 4,
            os: "Linux (Debian GNU/Linux 12)".into(),
            kernel: "6.1".into(),
            arch: "x86_64".into(),
        },
    };
    vec![
        (CheckId::Status, status_read.into()),
        (CheckId::Status, status_unread.into()),
        (CheckId::Dns, looked.into()),
        (CheckId::Dns, direct.into()),
        (CheckId::Tls, tls.into()),
        (CheckId::Proxy, proxy.into()),
        (CheckId::Payload, payload.into()),
        (CheckId::Probe, probe.into()),
        (CheckId::Stream, stream_sample().into()),
        (CheckId::Timeout, timeout.into()),
        (CheckId::Container, container.into()),
    ]
}

/// The stream check's details with every optional part (a gzipped stream cut after two events).
fn stream_sample() -> openai_doctor_checks::details::stream::Stream {
    use openai_doctor_checks::details::stream::{Ending, Gaps, Stream};
    Stream {
        model: "gpt-4.1-nano".into(),
        status: Some(200),
        request_id: Some("req_1".into()),
        client_request_id: "0b1c".into(),
        content_type: Some("text/event-stream".into()),
        content_encoding: Some("gzip".into()),
        server: Some("nginx/1.22.1".into()),
        via: Some("1.1 SECRET-proxy".into()),
        ttfb_ms: 40,
        first_byte_ms: Some(41),
        first_event_ms: Some(300),
        first_content_ms: Some(320),
        last_event_ms: Some(340),
        total_ms: 345,
        events: 2,
        content_events: 1,
        done: false,
        error_event: false,
        content_filter: Some("violence (severity medium)".into()),
        chunks: 3,
        bytes: 812,
        event_ms: vec![300, 340],
        gaps: Gaps { p50_ms: 40, max_ms: 40, spread_ms: 40 },
        ending: Some(Ending::Reset),
        silence_before_end_ms: 5,
        sample: vec!["data: {\"choices\":[]}".into()],
        undecodable: false,
    }
}

/// A validator for one definition of the report schema.
fn validator_for(def: &str) -> jsonschema::Validator {
    let doc = schema();
    let one = json!({ "$schema": doc["$schema"], "$defs": doc["$defs"], "$ref": format!("#/$defs/{def}") });
    jsonschema::validator_for(&one).unwrap()
}

fn errors(v: &jsonschema::Validator, value: &Value) -> Vec<String> {
    v.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// Key paths (`a.b`, `a[].c`) a value has.
fn value_paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.insert(p.clone());
                value_paths(x, &p, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| value_paths(x, &format!("{prefix}[]"), out)),
        _ => {}
    }
}

/// Key paths a schema names (through `$ref`, `anyOf`, `oneOf`, `if`/`then`/`else`, `items`),
/// leaving out what a check that measured nothing carries.
fn schema_paths(node: &Value, defs: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Some(r) = node["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        if name != "details_unmeasured" {
            schema_paths(&defs[name], defs, prefix, out);
        }
    }
    for key in ["anyOf", "oneOf"] {
        for branch in node[key].as_array().into_iter().flatten() {
            schema_paths(branch, defs, prefix, out);
        }
    }
    for key in ["then", "else"] {
        if node.get(key).is_some() {
            schema_paths(&node[key], defs, prefix, out);
        }
    }
    if node["items"].is_object() {
        schema_paths(&node["items"], defs, &format!("{prefix}[]"), out);
    }
    if let Some(props) = node["properties"].as_object() {
        for (k, x) in props {
            let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            out.insert(p.clone());
            schema_paths(x, defs, &p, out);
        }
    }
}

#[test]
fn every_checks_details_match_its_strict_schema_both_ways() {
    let doc = schema();
    let samples = samples();
    for id in CheckId::ALL {
        let def = format!("details_{id}");
        let v = validator_for(&def);
        let mine: Vec<&Details> = samples.iter().filter(|(i, _)| *i == id).map(|(_, d)| d).collect();
        assert!(!mine.is_empty(), "a sample of {id}'s details");
        let mut written = BTreeSet::new();
        for d in mine {
            let value = d.to_json();
            let errs = errors(&v, &value);
            assert!(errs.is_empty(), "{id}'s details do not match $defs/{def}: {errs:#?}\n{value:#}");
            value_paths(&value, "", &mut written);
        }
        let mut named = BTreeSet::new();
        schema_paths(&doc["$defs"][&def], &doc["$defs"], "", &mut named);
        let never_written: Vec<&String> = named.difference(&written).collect();
        assert!(never_written.is_empty(), "$defs/{def} names keys the types never write: {never_written:?}");
        // What the runner writes for a check it cut off, or one that measured nothing, fits too.
        for d in [Details::nothing(), Details::TimedOut(TimedOut { waiting_for: "GET /models".into(), limit_ms: 5 })] {
            let errs = errors(&v, &d.to_json());
            assert!(errs.is_empty(), "{id}: {errs:?}");
        }
    }
    // A key no type writes is refused, and so is a word outside a vocabulary.
    let (_, probe) = samples.iter().find(|(i, _)| *i == CheckId::Probe).unwrap();
    let mut extra = probe.to_json();
    extra["series"][0]["surprise"] = json!(1);
    assert!(!errors(&validator_for("details_probe"), &extra).is_empty(), "additional keys are refused");
    let mut word = probe.to_json();
    word["series"][0]["class"] = json!("teapot");
    assert!(!errors(&validator_for("details_probe"), &word).is_empty(), "an unknown class is refused");
}

#[test]
fn the_probe_classes_are_defined_once_and_the_schema_lists_them() {
    let doc = schema();
    let in_schema: Vec<&str> =
        doc["$defs"]["details_probe"]["then"]["properties"]["series"]["items"]["properties"]["class"]["enum"]
            .as_array()
            .expect("the schema enumerates the classes")
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    let in_rust: Vec<&str> = probe::Class::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(in_schema, in_rust);
    // serde's word is `as_str`'s word.
    for c in probe::Class::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
    }
}

#[test]
fn every_string_of_every_details_goes_through_map_text_and_nothing_else_changes() {
    for (id, d) in samples() {
        let mut same = d.clone();
        same.map_text(&|s| s.to_owned());
        assert_eq!(same, d, "{id}: the identity leaves details as they were");
        let mut redacted = d.clone();
        redacted.map_text(&|s| s.replace("SECRET", "***"));
        let (before, after) = (d.to_json().to_string(), redacted.to_json().to_string());
        assert!(!after.contains("SECRET"), "{id}: {after}");
        assert_eq!(after, before.replace("SECRET", "***"), "{id}: only the text changed");
        assert_ne!(redacted, Details::nothing(), "{id}: the details survived the trip");
    }
    // A mapping that breaks a vocabulary's word (`ok` → `OK`) cannot leave a string unmapped:
    // the details are dropped instead.
    let (_, probe) = samples().into_iter().find(|(i, _)| *i == CheckId::Probe).unwrap();
    let mut shouted = probe.clone();
    shouted.map_text(&|s| s.to_uppercase());
    assert_eq!(shouted, Details::nothing(), "fails closed");
    // `Nothing` stays `{}`.
    let mut n = Details::Nothing(Nothing {});
    n.map_text(&|s| s.to_uppercase());
    assert_eq!(n.to_json(), json!({}));
}
