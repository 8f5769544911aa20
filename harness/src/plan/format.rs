//! How the plan and the gate write numbers: fixed rules, so a golden file stays stable.

/// A whole number with thousands separators: "1,048,576" (the report's rule).
pub use crate::report::format_count as count;

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
        sig3(a)
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

/// Dollars: "$0", "$0.0259", "$1.26", "$7,776".
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
        format!("${}", sig3(x))
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
        format!("{}%", sig3(p))
    }
}

/// Three significant figures of a positive number below 1, trailing zeros dropped.
fn sig3(x: f64) -> String {
    if x <= 0.0 || !x.is_finite() {
        return "0".to_owned();
    }
    let magnitude = x.log10().floor() as i32;
    let decimals = usize::try_from((2 - magnitude).max(0)).unwrap_or(0);
    trim_zeros(format!("{x:.decimals$}"))
}

/// "12.50" -> "12.5", "1.00" -> "1"; whole numbers untouched.
fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_by_hand() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_048_576), "1,048,576");
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
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.02592), "$0.0259");
        assert_eq!(usd(1.2582), "$1.26");
        assert_eq!(usd(7_776.0), "$7,776");
        assert_eq!(percent(0.85), "85.0%");
        assert_eq!(percent(1.0 / 30_000.0), "0.00333%");
        assert_eq!(percent(0.0), "0%");
    }
}
