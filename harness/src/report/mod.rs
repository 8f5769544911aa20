//! Reports a person reads, made from a [`crate::result::RunResult`] and nothing else.
//!
//! [`table::render`] draws the console tables; the helpers here format one value each, with
//! its unit, so every report writes latencies, bytes and dollars the same way.

pub mod history;
pub mod html;
pub mod plots;
pub mod series;
pub mod summary;
pub mod table;

pub use table::render;

/// A latency of `us` microseconds with its unit, three significant figures past 1 ms:
/// "850 µs", "1.21 ms", "20.1 ms", "1.50 s".
pub fn format_us(us: u64) -> String {
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

/// A signed latency difference of `us` microseconds: "+270 µs", "-1.05 ms", "0 µs".
pub fn format_signed_us(us: i64) -> String {
    let magnitude = format_us(us.unsigned_abs());
    match us {
        0 => magnitude,
        x if x > 0 => format!("+{magnitude}"),
        _ => format!("-{magnitude}"),
    }
}

/// A whole number with thousands separators: "1,048,576".
pub fn format_count(n: u64) -> String {
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
pub fn format_bytes(bytes: u64) -> String {
    format!("{} B", format_count(bytes))
}

/// A US dollar amount: "$0", "$0.0259", "$7.78", "$7,776".
pub fn format_usd(usd: f64) -> String {
    if !usd.is_finite() {
        return "-".to_owned();
    }
    if usd == 0.0 {
        "$0".to_owned()
    } else if usd >= 100.0 {
        format!("${}", format_count(usd.round() as u64))
    } else if usd >= 1.0 {
        format!("${usd:.2}")
    } else {
        format!("${}", sig3(usd))
    }
}

/// A measured value without needless digits: "470", "0.25", "1234.5", "-" when absent.
pub fn format_measured(value: Option<f64>) -> String {
    match value {
        None => "-".to_owned(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => {
            let text = format!("{v:.4}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    }
}

/// `x` with three significant figures: "1000", "20.1", "1.00", "0.0259", "0".
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_carry_units() {
        assert_eq!(format_us(0), "0 µs");
        assert_eq!(format_us(850), "850 µs");
        assert_eq!(format_us(999), "999 µs");
        assert_eq!(format_us(1_000), "1.00 ms");
        assert_eq!(format_us(1_210), "1.21 ms");
        assert_eq!(format_us(20_100), "20.1 ms");
        assert_eq!(format_us(100_000), "100 ms");
        assert_eq!(format_us(999_700), "1.00 s");
        assert_eq!(format_us(1_500_000), "1.50 s");
        assert_eq!(format_us(123_456_789), "123 s");
        assert_eq!(format_signed_us(270), "+270 µs");
        assert_eq!(format_signed_us(-1_050), "-1.05 ms");
        assert_eq!(format_signed_us(0), "0 µs");
        assert_eq!(format_signed_us(i64::MIN), "-9223372036855 s");
    }

    #[test]
    fn counts_bytes_and_dollars() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_count(1_048_576), "1,048,576");
        assert_eq!(format_bytes(1_617), "1,617 B");
        assert_eq!(format_usd(0.0), "$0");
        assert_eq!(format_usd(0.02592), "$0.0259");
        assert_eq!(format_usd(0.31104), "$0.311");
        assert_eq!(format_usd(7.776), "$7.78");
        assert_eq!(format_usd(7_776.0), "$7,776");
        assert_eq!(format_usd(f64::NAN), "-");
        assert_eq!(format_measured(Some(470.0)), "470");
        assert_eq!(format_measured(Some(0.25)), "0.25");
        assert_eq!(format_measured(Some(1.0 / 3.0)), "0.3333");
        assert_eq!(format_measured(None), "-");
    }
}
