//! The one retry policy, seen from its three users on the binary: `recipe`, the timeout check's
//! advice in a run's report, and the recipe at the end of `simulate`'s audit must give the same
//! timeout, retry count and worst case for the same platform deadline (issue 22: they used to
//! disagree, 9 s against 8 s for 30 s).

use serde_json::Value;

use crate::support::world::World;
use crate::support::{doctor, run};

/// `(timeout, max_retries, worst case)` in seconds.
type Numbers = (f64, u32, f64);

/// The numbers a printed Python recipe carries: `OpenAI(timeout=T, max_retries=N)` and
/// `worst case Ws`.
fn from_recipe(text: &str) -> Numbers {
    let line =
        text.lines().find(|l| l.starts_with("client = OpenAI(")).unwrap_or_else(|| panic!("no client in:\n{text}"));
    let args = line.trim_start_matches("client = OpenAI(").trim_end_matches(')');
    let (timeout, retries) = args.split_once(", ").unwrap();
    let timeout = timeout.strip_prefix("timeout=").unwrap().parse().unwrap();
    let retries = retries.strip_prefix("max_retries=").unwrap().parse().unwrap();
    let worst = text.split("worst case ").nth(1).unwrap_or_else(|| panic!("no worst case in:\n{text}"));
    (timeout, retries, worst.split('s').next().unwrap().parse().unwrap())
}

fn deadline_flag(deadline: Option<u32>) -> Vec<String> {
    deadline.map(|d| vec!["--platform-deadline".to_owned(), d.to_string()]).unwrap_or_default()
}

fn recipe(deadline: Option<u32>) -> Numbers {
    let r = run(doctor().args(["recipe", "python"]).args(deadline_flag(deadline)), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    from_recipe(&r.stdout)
}

fn audit(deadline: Option<u32>) -> Numbers {
    let r = run(
        doctor().args(["simulate", "--quiet", "--format", "json"]).args(deadline_flag(deadline)).args(["--", "true"]),
        &[],
    );
    let audit: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    assert_eq!(audit["recipe"]["lang"], "python", "no client seen: the Python recipe");
    from_recipe(audit["recipe"]["text"].as_str().unwrap())
}

/// The timeout check's advice: its recommended settings when the SDK defaults do not fit, else
/// the settings it judged (nothing to change).
fn advice(world: &World, deadline: Option<u32>) -> Numbers {
    let r = run(
        doctor()
            .args(["--format", "json", "--skip", "status,container", "--probes", "1", "--no-billable"])
            .args(world.args())
            .args(deadline_flag(deadline)),
        &[],
    );
    let t = r.check("timeout");
    let d = &t["details"];
    let n = |v: &Value| (v["timeout_s"].as_f64().unwrap(), u32::try_from(v["max_retries"].as_u64().unwrap()).unwrap());
    match deadline {
        Some(_) => {
            let rec = &d["recommended"];
            assert!(rec.is_object(), "the SDK defaults outlast every deadline of the table: {t}");
            let (timeout, retries) = n(rec);
            (timeout, retries, rec["worst_case_s"].as_f64().unwrap())
        }
        None => {
            assert!(d["recommended"].is_null(), "no platform, nothing to fit: {t}");
            (
                d["client_timeout_s"].as_f64().unwrap(),
                u32::try_from(d["max_retries"].as_u64().unwrap()).unwrap(),
                d["worst_case_s"].as_f64().unwrap(),
            )
        }
    }
}

#[test]
fn recipe_the_timeout_check_and_the_audit_size_alike() {
    let world = World::healthy();
    // The expected numbers are the policy's (checks/src/sdk/policy.rs), written out so that a
    // change of the policy is a visible change here too.
    let table: [(Option<u32>, Numbers); 7] = [
        (Some(3), (2.0, 0, 2.0)),
        (Some(10), (9.0, 0, 9.0)),
        (Some(29), (8.0, 2, 25.5)),
        (Some(30), (8.0, 2, 25.5)),
        (Some(60), (17.0, 2, 52.5)),
        (Some(900), (269.0, 2, 808.5)),
        (None, (600.0, 2, 1801.5)),
    ];
    for (deadline, want) in table {
        let (r, c, a) = (recipe(deadline), advice(&world, deadline), audit(deadline));
        assert_eq!(r, want, "recipe, deadline {deadline:?}");
        assert_eq!(c, want, "timeout check, deadline {deadline:?}");
        assert_eq!(a, want, "simulate's audit, deadline {deadline:?}");
    }
}

#[test]
fn the_retry_budget_finding_has_one_article() {
    let world = World::healthy();
    let r = run(
        doctor()
            .args(["--format", "json", "--skip", "status,container", "--probes", "1", "--no-billable"])
            .args(["--platform-deadline", "30"])
            .args(world.args()),
        &[],
    );
    let t = r.check("timeout");
    let text = t["findings"].to_string();
    assert!(text.contains("exceeds your platform's deadline of 30 s"), "{t}");
    assert!(!text.contains("the your"), "{t}");
}
