//! Times the redactor on adversarial inputs of 1 MB and 4 MB (one per unit in
//! `secret::ADVERSARIAL`, with a key and a password registered), for scripts/bench-hardening.
//! Prints one line per unit and the worst; exits 1 above the targets (1 MB ≤ 0.1 s, 4 MB ≤ 0.4 s)
//! or far above linear growth (4 MB taking more than 10 times 1 MB: linear is 4, quadratic 16).

use std::time::Duration;

use openai_doctor_checks::secret::{ADVERSARIAL, time_adversarial};

fn main() {
    let time = time_adversarial;
    let (mut worst1, mut worst4, mut failed) = (Duration::ZERO, Duration::ZERO, false);
    for unit in ADVERSARIAL {
        let (one, four) = (time(1 << 20, unit), time(4 << 20, unit));
        let ratio = four.as_secs_f64() / one.as_secs_f64().max(1e-6);
        let bad = one > Duration::from_millis(100)
            || four > Duration::from_millis(400)
            || (ratio > 10.0 && four > Duration::from_millis(20));
        failed |= bad;
        println!(
            "redact {:<32} 1 MB {:>7.1} ms  4 MB {:>7.1} ms  ×{ratio:.1}{}",
            format!("{unit:?}"),
            one.as_secs_f64() * 1e3,
            four.as_secs_f64() * 1e3,
            if bad { "  ✗" } else { "" }
        );
        worst1 = worst1.max(one);
        worst4 = worst4.max(four);
    }
    println!(
        "redact worst: 1 MB {:.1} ms (target ≤ 100), 4 MB {:.1} ms (target ≤ 400)",
        worst1.as_secs_f64() * 1e3,
        worst4.as_secs_f64() * 1e3
    );
    std::process::exit(i32::from(failed));
}
