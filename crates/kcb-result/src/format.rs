//! One way to print a number: durations, latencies, bytes, money, counts and shares, shared by
//! the console table, the HTML report, the summary, the capacity plan and the gate, so a figure
//! reads the same wherever it appears (and a golden file stays stable).

/// A latency of `us` microseconds with its unit, three significant figures past 1 ms:
/// "850 µs", "1.21 ms", "20.1 ms", "1.50 s".
pub fn us(us: u64) -> String {
    if us < 1_000 {
        return format!("{us} µs");
    }
    let ms = us as f64 / 1_000.0;
    let text = sig3(ms);
    if ms < 1_000.0 && text != "1000" {
        return format!("{text} ms");
    }
    format!("{} s", sig3(us as f64 / 1_000_000.0))
}

/// The fewest samples whose largest value bounds the `q` quantile from above with 97.5 %
/// confidence (`1 - q^n >= 0.975`): with fewer, a distribution-free 95 % interval of that
/// percentile has no upper end (at p99 the largest of 52 calls is only a guess), so the
/// percentile is not printed. p50: 6, p99: 368, p99.9: 3,688.
pub fn min_samples(q: f64) -> u64 {
    (0.025f64.ln() / q.ln()).ceil() as u64
}

/// `text`, or why a percentile `q` (named `name`, e.g. "p99") of `count` samples (`noun`,
/// e.g. "calls") is not given: "needs ≥ 368 calls (52 made)".
pub fn enough(text: String, q: f64, count: u64, noun: &str) -> String {
    let need = min_samples(q);
    if count >= need {
        return text;
    }
    format!(
        "needs ≥ {} {noun} ({} made)",
        self::count(need),
        self::count(count)
    )
}

/// A signed latency difference of `us` microseconds: "+270 µs", "-1.05 ms", "0 µs".
pub fn signed_us(us: i64) -> String {
    let magnitude = self::us(us.unsigned_abs());
    match us {
        0 => magnitude,
        x if x > 0 => format!("+{magnitude}"),
        _ => format!("-{magnitude}"),
    }
}

/// An overhead of `us` µs with its 95 % interval: "+270 µs [+210 µs, +330 µs]"; when the
/// interval holds zero, "within noise (±48 µs)", never a bare negative number; without an
/// interval, the estimate alone.
pub fn overhead(us: i64, ci: Option<[i64; 2]>) -> String {
    match ci {
        None => signed_us(us),
        Some([lo, hi]) if lo <= 0 && 0 <= hi => {
            format!(
                "within noise (±{})",
                self::us(lo.unsigned_abs().max(hi.unsigned_abs()))
            )
        }
        Some([lo, hi]) => format!("{} [{}, {}]", signed_us(us), signed_us(lo), signed_us(hi)),
    }
}

/// A run's A/A noise floor, p50 / p99 / p99.9: "p50 within noise (±20 µs), p99 ...", each
/// percentile only where the `records` the two plaintext paths measured are enough for it
/// (`min_samples`): "p99.9 needs ≥ 3,688 records (2,000 made)".
pub fn noise_floor(o: &crate::metrics::Overhead, records: u64) -> String {
    let at =
        |q: f64, us: i64, ci: Option<[i64; 2]>| enough(overhead(us, ci), q, records, "records");
    format!(
        "p50 {}, p99 {}, p99.9 {}",
        at(0.5, o.p50, o.p50_ci),
        at(0.99, o.p99, o.p99_ci),
        at(0.999, o.p999, o.p999_ci)
    )
}

/// Seconds as a person says them: "45 s", "5 min", "1 h", "0.5 s".
pub fn secs(s: f64) -> String {
    if s >= 3_600.0 && (s % 360.0) == 0.0 {
        format!("{} h", s / 3_600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{} s", (s * 10.0).round() / 10.0)
    }
}

/// A whole number with thousands separators: "1,048,576".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size of `bytes` bytes: "1,617 B".
pub fn bytes(bytes: u64) -> String {
    format!("{} B", count(bytes))
}

/// A large size in binary units, as [`number`] prints the quantity: "512 B", "1.5 KiB",
/// "22.7 GiB", "17.3 TiB".
pub fn binary_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", number(value), UNITS[unit])
}

/// A quantity: "0", three significant figures below 1 ("0.00333"), at most two decimals below
/// 100 ("8.64", "12.5", "1"), a rounded whole number with separators from 100 on ("2,592,000").
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let body = if a == 0.0 {
        "0".to_owned()
    } else if a >= 100.0 {
        count(a.round() as u64)
    } else if a >= 1.0 {
        trim_zeros(format!("{a:.2}"))
    } else {
        trim_zeros(sig3(a))
    };
    if body == "0" {
        body
    } else {
        format!("{sign}{body}")
    }
}

/// A signed change: "+200", "-12.5", "0".
pub fn signed(x: f64) -> String {
    let text = number(x);
    if x > 0.0 && text != "0" {
        format!("+{text}")
    } else {
        text
    }
}

/// US dollars: "$0", "$0.0259", "$0.1", "$7.78", "$7,776"; "-" when not a number.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    if x == 0.0 {
        "$0".to_owned()
    } else if x >= 100.0 {
        format!("${}", count(x.round() as u64))
    } else if x >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${}", trim_zeros(sig3(x)))
    }
}

/// A share as a percentage: "85.0%", "0.00333%", "0%".
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if !p.is_finite() {
        "-".to_owned()
    } else if p == 0.0 {
        "0%".to_owned()
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{}%", trim_zeros(sig3(p)))
    }
}

/// A measured value without needless digits: "470", "0.25", "1234.5", "-" when absent.
pub fn measured(value: Option<f64>) -> String {
    match value {
        None => "-".to_owned(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => trim_zeros(format!("{v:.4}")),
    }
}

/// `x` with three significant figures, trailing zeros kept: "1000", "20.1", "1.00", "0.0259".
fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals_for = |v: f64| (2.0 - v.abs().log10().floor()).clamp(0.0, 15.0) as i32;
    // Round first: 0.9997 rounds to 1.00, which takes fewer decimals than 0.9997 would.
    let scale = 10f64.powi(decimals_for(x));
    let rounded = (x * scale).round() / scale;
    let decimals = decimals_for(rounded) as usize;
    format!("{rounded:.decimals$}")
}

/// "12.50" -> "12.5", "1.00" -> "1"; whole numbers untouched.
fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// What report, summary and gate say when every role signed as one identity.
pub const ROLES_NOT_SEPARATED: &str = "roles not separated: every role signed as one identity, \
     so least privilege was not exercised (give each role its own profile or role_arn)";

/// What console, summary, HTML report and gate say of an interrupted run.
pub const INTERRUPTED: &str = "INTERRUPTED: the run was stopped early (Ctrl-C or SIGTERM); \
     the load stopped, faults were lifted and the drain was cut short, so every figure covers \
     only what ran";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_samples_is_the_fewest_whose_largest_bounds_the_quantile() {
        for q in [0.5, 0.9, 0.99, 0.999] {
            let n = min_samples(q);
            let covered = |n: u64| 1.0 - q.powi(n as i32) >= 0.975;
            assert!(covered(n) && !covered(n - 1), "q {q}: n {n}");
        }
        assert_eq!(enough("400 µs".into(), 0.99, 368, "calls"), "400 µs");
        assert_eq!(
            enough("400 µs".into(), 0.99, 52, "calls"),
            "needs ≥ 368 calls (52 made)"
        );
        // The quickstart's A/A pair: 2,000 measured records each, too few for p99.9.
        let o = crate::metrics::Overhead {
            p50: 1,
            p99: -8,
            p999: -1_960,
            p50_ci: Some([-3, 2]),
            p99_ci: Some([-102, 60]),
            p999_ci: Some([-3_140, -105]),
        };
        assert_eq!(
            noise_floor(&o, 2_000),
            "p50 within noise (±3 µs), p99 within noise (±102 µs), p99.9 needs ≥ 3,688 records (2,000 made)"
        );
        assert!(noise_floor(&o, 3_688).ends_with("p99.9 -1.96 ms [-3.14 ms, -105 µs]"));
    }

    #[test]
    fn binary_sizes() {
        assert_eq!(binary_bytes(0), "0 B");
        assert_eq!(binary_bytes(512), "512 B");
        assert_eq!(binary_bytes(1536), "1.5 KiB");
        assert_eq!(binary_bytes(24_371_847_168), "22.7 GiB");
        assert_eq!(binary_bytes(3 << 40), "3 TiB");
        assert_eq!(binary_bytes(3 << 50), "3,072 TiB");
    }

    #[test]
    fn latencies_carry_units() {
        assert_eq!(us(0), "0 µs");
        assert_eq!(us(850), "850 µs");
        assert_eq!(us(999), "999 µs");
        assert_eq!(us(1_000), "1.00 ms");
        assert_eq!(us(1_210), "1.21 ms");
        assert_eq!(us(20_100), "20.1 ms");
        assert_eq!(us(100_000), "100 ms");
        assert_eq!(us(999_700), "1.00 s");
        assert_eq!(us(1_500_000), "1.50 s");
        assert_eq!(us(123_456_789), "123 s");
        assert_eq!(signed_us(270), "+270 µs");
        assert_eq!(signed_us(-1_050), "-1.05 ms");
        assert_eq!(signed_us(0), "0 µs");
        assert_eq!(signed_us(i64::MIN), "-9223372036855 s");
        assert_eq!(secs(45.0), "45 s");
        assert_eq!(secs(300.0), "5 min");
        assert_eq!(secs(3_600.0), "1 h");
        assert_eq!(secs(0.25), "0.3 s");
        assert_eq!(
            overhead(270, Some([210, 330])),
            "+270 µs [+210 µs, +330 µs]"
        );
        assert_eq!(overhead(-14, Some([-60, 48])), "within noise (±60 µs)");
        assert_eq!(overhead(-14, None), "-14 µs");
    }

    #[test]
    fn counts_bytes_dollars_and_shares() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_048_576), "1,048,576");
        assert_eq!(bytes(1_617), "1,617 B");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.02592), "$0.0259");
        assert_eq!(usd(0.31104), "$0.311");
        assert_eq!(usd(0.1), "$0.1");
        assert_eq!(usd(1.2582), "$1.26");
        assert_eq!(usd(7.776), "$7.78");
        assert_eq!(usd(7_776.0), "$7,776");
        assert_eq!(usd(f64::NAN), "-");
        assert_eq!(percent(0.85), "85.0%");
        assert_eq!(percent(1.0 / 30_000.0), "0.00333%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(measured(Some(470.0)), "470");
        assert_eq!(measured(Some(0.25)), "0.25");
        assert_eq!(measured(Some(1.0 / 3.0)), "0.3333");
        assert_eq!(measured(None), "-");
    }

    #[test]
    fn quantities_by_hand() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.0 / 300.0), "0.00333");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(8.64), "8.64");
        assert_eq!(number(2_592_000.4), "2,592,000");
        assert_eq!(number(-12.5), "-12.5");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(7.8125), "7.81");
        assert_eq!(signed(200.0), "+200");
        assert_eq!(signed(-3.0), "-3");
        assert_eq!(signed(0.0), "0");
    }
}
