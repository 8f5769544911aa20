//! Histograms saved whole as an HdrHistogram interval log (`.hlog`): one line per histogram,
//! `Tag=<tag>,<start s>,<length s>,<max>,<base64 of the V2 deflate-compressed histogram>`,
//! the format HdrHistogram's own tools read and merge. A run writes one histogram per tag per
//! interval ([`write_hlog_series`]); a saved baseline one per tag for its whole length.
//!
//! Runs from several machines are combined by reading their logs and adding the histograms
//! that share a tag ([`read_hlog`] already adds same-tag intervals within one log).

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use super::intervals::IntervalSeries;
use super::latency::new_histogram_us;
use super::MetricsError;

/// Write `entries` to `path` as one tagged interval each, all starting at `start` and lasting
/// until now (the time of the call; zero if the clock reads earlier than `start`).
///
/// Tags (e.g. "envelope.put") must not contain ',', ' ', '\r' or '\n'.
pub fn write_hlog(
    path: &Path,
    start: SystemTime,
    entries: &[(&str, &Histogram<u64>)],
) -> Result<(), MetricsError> {
    let interval = SystemTime::now()
        .duration_since(start)
        .unwrap_or(Duration::ZERO);
    write_hlog_interval(path, start, interval, entries)
}

/// Write `entries` to `path` as one tagged interval each, all starting at `start` (written as
/// the log's StartTime and BaseTime, so each interval's own timestamp is 0) and lasting
/// `interval`: for runs on a virtual clock, whose length is not wall time.
pub fn write_hlog_interval(
    path: &Path,
    start: SystemTime,
    interval: Duration,
    entries: &[(&str, &Histogram<u64>)],
) -> Result<(), MetricsError> {
    let entries = entries
        .iter()
        .map(|(tag, h)| (Duration::ZERO, interval, *tag, Some(Cow::Borrowed(*h))));
    write_log(path, start, None, entries)
}

/// Write every tag's series to `path`, intervals `first` to `last` of each (an empty interval
/// too): the log's StartTime and BaseTime are `start` (the run's start, wall clock), and each
/// interval is written with its own start (`index × interval` after it) and length, in time
/// order, every tag within an interval in the order given. Intervals are decompressed one at a
/// time, so a long run is written without holding its intervals in memory.
pub fn write_hlog_series(
    path: &Path,
    start: SystemTime,
    (first, last): (u64, u64),
    series: &[(&str, &IntervalSeries)],
) -> Result<(), MetricsError> {
    let interval = series
        .first()
        .map_or(Duration::from_secs(1), |(_, s)| s.interval());
    let entries = (first..=last).flat_map(|index| {
        series.iter().map(move |(tag, s)| {
            let h = s.histogram_at(index).map(Cow::Owned);
            (nth(interval, index), interval, *tag, h)
        })
    });
    write_log(path, start, Some(interval), entries)
}

/// Write `intervals` to `path`, each `(index, tag, histogram)` starting `index × interval`
/// after `start` (the log's StartTime and BaseTime) and lasting `interval`, in the order
/// given: what [`write_hlog_series`] writes, from histograms already in hand (a merge's).
pub fn write_hlog_indexed(
    path: &Path,
    start: SystemTime,
    interval: Duration,
    intervals: &[(u64, &str, &Histogram<u64>)],
) -> Result<(), MetricsError> {
    let entries = intervals.iter().map(|(index, tag, h)| {
        (
            nth(interval, *index),
            interval,
            *tag,
            Some(Cow::Borrowed(*h)),
        )
    });
    write_log(path, start, Some(interval), entries)
}

/// Where interval `index` starts: `index × interval` after the log's start.
fn nth(interval: Duration, index: u64) -> Duration {
    interval.saturating_mul(u32::try_from(index).unwrap_or(u32::MAX))
}

/// One entry of a log: its start after the log's, its length, its tag, its histogram (`None`:
/// an interval that recorded nothing, written as an empty histogram).
type Entry<'h> = (Duration, Duration, &'h str, Option<Cow<'h, Histogram<u64>>>);

/// The one writer behind the `write_hlog*` functions: the log's header (comments; StartTime
/// and BaseTime `start`; `interval`, when there is one, said in a comment), then `entries` in
/// order: built in memory whole, then written to `path` and synced.
fn write_log<'h>(
    path: &Path,
    start: SystemTime,
    interval: Option<Duration>,
    entries: impl Iterator<Item = Entry<'h>>,
) -> Result<(), MetricsError> {
    let io_err = |source| MetricsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let write_err = |tag: &str, e: &dyn std::fmt::Display| MetricsError::HlogWrite {
        path: path.to_path_buf(),
        tag: tag.to_owned(),
        message: e.to_string(),
    };
    // One small empty histogram stands for every interval that recorded nothing.
    let empty = Histogram::<u64>::new(1).map_err(|e| write_err("", &e))?;
    let mut buf: Vec<u8> = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut builder = IntervalLogWriterBuilder::new();
        builder.add_comment("kinesis-crypto-bench latency histograms, values in microseconds");
        if let Some(i) = interval {
            builder.add_comment(&format!(
                "one histogram per tag per {} s interval",
                i.as_secs_f64()
            ));
        }
        let mut writer = builder
            .with_start_time(start)
            .with_base_time(start)
            .begin_log_with(&mut buf, &mut serializer)
            .map_err(io_err)?;
        for (at, length, tag, h) in entries {
            let checked = Tag::new(tag).ok_or_else(|| MetricsError::InvalidTag {
                path: path.to_path_buf(),
                tag: tag.to_owned(),
            })?;
            let h = h.as_deref().unwrap_or(&empty);
            writer
                .write_histogram(h, at, length, Some(checked))
                .map_err(|e| write_err(tag, &e))?;
        }
    }
    let mut file = std::fs::File::create(path).map_err(io_err)?;
    file.write_all(&buf).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

/// One interval of a log, as read back.
#[derive(Debug, Clone)]
pub struct LoggedInterval {
    /// Its tag ("" when untagged).
    pub tag: String,
    /// Its start, relative to the log's start.
    pub start: Duration,
    /// Its length.
    pub length: Duration,
    /// Its histogram (auto-resizing).
    pub histogram: Histogram<u64>,
}

/// Hand every interval of the log at `path` to `visit`, in the order written, one at a time
/// (a long log is never held in memory whole).
pub fn visit_hlog_intervals(
    path: &Path,
    mut visit: impl FnMut(LoggedInterval),
) -> Result<(), MetricsError> {
    let bytes = std::fs::read(path).map_err(|source| MetricsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let parse_err = |offset, message: String| MetricsError::HlogParse {
        path: path.to_path_buf(),
        offset,
        message,
    };
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(&bytes) {
        let interval = match entry {
            Ok(LogEntry::Interval(i)) => i,
            Ok(LogEntry::StartTime(_)) | Ok(LogEntry::BaseTime(_)) => continue,
            Err(e) => {
                let offset = match e {
                    hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                        offset,
                    } => offset,
                };
                return Err(parse_err(offset, "not an interval log line".to_owned()));
            }
        };
        let encoded = interval.encoded_histogram();
        let offset = offset_of(&bytes, encoded.as_bytes());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim_end())
            .map_err(|e| parse_err(offset, format!("histogram is not valid base64: {e}")))?;
        let mut histogram: Histogram<u64> = deserializer
            .deserialize(&mut raw.as_slice())
            .map_err(|e| parse_err(offset, format!("histogram does not decode: {e:?}")))?;
        histogram.auto(true);
        visit(LoggedInterval {
            tag: interval.tag().map(|t| t.as_str()).unwrap_or("").to_owned(),
            start: interval.start_timestamp(),
            length: interval.duration(),
            histogram,
        });
    }
    Ok(())
}

/// Every interval of the log at `path`, in the order written (for short logs: each interval
/// is a whole histogram in memory).
pub fn read_hlog_intervals(path: &Path) -> Result<Vec<LoggedInterval>, MetricsError> {
    let mut out = Vec::new();
    visit_hlog_intervals(path, |i| out.push(i))?;
    Ok(out)
}

/// Read every interval of the log at `path`, as `(tag, histogram)` in order of first
/// appearance; intervals sharing a tag are added together. Untagged intervals get the tag "".
/// The histograms returned auto-resize, so callers can go on adding to them.
pub fn read_hlog(path: &Path) -> Result<Vec<(String, Histogram<u64>)>, MetricsError> {
    let mut out: Vec<(String, Histogram<u64>)> = Vec::new();
    visit_hlog_intervals(path, |i| {
        let slot = match out.iter().position(|(t, _)| *t == i.tag) {
            Some(k) => k,
            None => {
                out.push((i.tag.clone(), new_histogram_us()));
                out.len() - 1
            }
        };
        let target = &mut out[slot].1;
        if target.add(&i.histogram).is_err() {
            for v in i.histogram.iter_recorded() {
                target.saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
    })?;
    Ok(out)
}

/// Byte offset of `part` within `whole` when it is a sub-slice of it, else 0.
fn offset_of(whole: &[u8], part: &[u8]) -> usize {
    let start = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    if p >= start && p <= start + whole.len() {
        p - start
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::LatencyHistogram;

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kcb-hlog-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir.join(name)
    }

    fn filled(seed: u64, n: u64) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        let mut x = seed;
        for _ in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            h.record_us(1 + (x >> 40) % 2_000_000);
        }
        h
    }

    #[test]
    fn round_trip_keeps_histograms_whole() {
        let path = temp_path("round-trip.hlog");
        let put = filled(1, 5_000);
        let e2e = filled(2, 3_000);
        let empty = LatencyHistogram::new();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let written = write_hlog_interval(
            &path,
            start,
            Duration::from_secs(60),
            &[
                ("envelope.put", put.inner()),
                ("envelope.e2e", e2e.inner()),
                ("plaintext.put", empty.inner()),
            ],
        );
        assert!(written.is_ok(), "{written:?}");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains("#[StartTime: 1700000000.000"), "{text}");
        assert!(text.contains("Tag=envelope.put,0.000,60.000,"), "{text}");
        let read = read_hlog(&path);
        let read = match read {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        let tags: Vec<&str> = read.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(tags, ["envelope.put", "envelope.e2e", "plaintext.put"]);
        assert_eq!(read[0].1, *put.inner());
        assert_eq!(read[1].1, *e2e.inner());
        assert_eq!(read[2].1.len(), 0);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn same_tags_merge_by_addition() {
        let path = temp_path("merge.hlog");
        let a = filled(3, 1_000);
        let b = filled(4, 2_000);
        let start = SystemTime::now();
        let written = write_hlog(
            &path,
            start,
            &[("sse-kms.put", a.inner()), ("sse-kms.put", b.inner())],
        );
        assert!(written.is_ok(), "{written:?}");
        let read = read_hlog(&path).unwrap_or_default();
        assert_eq!(read.len(), 1);
        let mut sum = a.clone();
        sum.add(&b);
        assert_eq!(read[0].1, *sum.inner());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn bad_tags_and_bad_files_are_errors_naming_the_path() {
        let path = temp_path("bad.hlog");
        let h = LatencyHistogram::new();
        let e = write_hlog(&path, SystemTime::now(), &[("has space", h.inner())]);
        assert!(matches!(e, Err(MetricsError::InvalidTag { .. })), "{e:?}");

        let _ = std::fs::write(&path, "Tag=x,0.0,1.0,2.0,@@@not-base64@@@\n");
        let e = read_hlog(&path);
        assert!(matches!(e, Err(MetricsError::HlogParse { .. })), "{e:?}");

        let _ = std::fs::write(&path, "Tag=x,0.0,1.0,2.0,AAAA\n");
        let e = read_hlog(&path);
        match e {
            Err(err @ MetricsError::HlogParse { .. }) => {
                assert!(err.to_string().contains("bad.hlog"), "{err}")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }

        let missing = temp_path("missing.hlog");
        assert!(matches!(read_hlog(&missing), Err(MetricsError::Io { .. })));
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_series_is_written_interval_by_interval_in_time_order() {
        let path = temp_path("series.hlog");
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (a, b) = (
            IntervalSeries::new(Duration::from_secs(1)),
            IntervalSeries::new(Duration::from_secs(1)),
        );
        for i in 2..5u64 {
            for k in 0..10 * i {
                a.record(Duration::from_secs(i), Duration::from_micros(100 + k));
            }
            b.record(Duration::from_secs(i), Duration::from_micros(7 * i));
        }
        let written = write_hlog_series(&path, start, (1, 4), &[("p.put", &a), ("p.e2e", &b)]);
        assert!(written.is_ok(), "{written:?}");
        let back = match read_hlog_intervals(&path) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let seen: Vec<(String, u64, u64)> = back
            .iter()
            .map(|i| (i.tag.clone(), i.start.as_secs(), i.histogram.len()))
            .collect();
        let count = |tag: &str, i: u64| match (tag, i) {
            (_, 1) => 0,
            ("p.put", i) => 10 * i,
            _ => 1,
        };
        let want: Vec<(String, u64, u64)> = (1..5u64)
            .flat_map(|i| {
                [
                    ("p.put".to_owned(), i, count("p.put", i)),
                    ("p.e2e".to_owned(), i, count("p.e2e", i)),
                ]
            })
            .collect();
        assert_eq!(seen, want);
        assert!(back.iter().all(|i| i.length == Duration::from_secs(1)));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.contains("#[StartTime: 1700000000"), "{text}");
        let _ = std::fs::remove_file(&path);
    }
}
