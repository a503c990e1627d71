//! The container check on the real machine: only what must hold anywhere.

use crate::support::{doctor, run};

#[test]
fn container_check_reports_facts_of_this_machine() {
    let r = run(doctor().args(["--only", "container", "--format", "json"]), &[]);
    let c = r.check("container");
    assert!(["pass", "warn", "fail", "skip"].contains(&c["status"].as_str().unwrap()), "{c}");
    assert_eq!(r.code, if c["status"] == "fail" { 1 } else { 0 }, "{r:?}");
    assert!(!c["summary"].as_str().unwrap().is_empty());
    if cfg!(target_os = "linux") {
        assert!(c["details"]["host"]["cpus"].as_u64().unwrap() >= 1, "{c}");
        assert!(c["details"]["host"]["memory_total"].as_u64().unwrap() > 0, "{c}");
        assert!(c["details"]["open_files"]["soft"].as_u64().unwrap() > 0, "{c}");
    } else {
        assert_eq!(c["status"], "skip");
    }
    // Only the container check ran: no request was made.
    assert_eq!(r.json()["requests"].as_array().unwrap().len(), 0);
    assert_eq!(r.check("status")["status"], "skip");
}
