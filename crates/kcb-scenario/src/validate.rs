//! Raw TOML mirror -> validated [`Scenario`]: defaults applied, every range checked.
//!
//! Each function takes the field path of what it checks, so a problem names the exact field.
//! Ranges and defaults are the constants below; `scenarios/README.md` documents the same.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::error::{FieldPath, Problem};
use super::raw::{
    names, ApiName, FormatName, PathKind, RawBatch, RawCache, RawDuration, RawInFlight, RawPath,
    RawRetry, RawScenario, RawSize, RawStream, RawWorkload,
};
use super::{
    expect, faults, Aead, AeadBackendChoice, CacheSpec, ClockMode, DestinationSse, EnvelopeFormat,
    EnvelopeSpec, EsdkSuiteChoice, FirehoseKeyChoice, FirehoseSpec, InFlightSpec, KmsSpec,
    OutputSpec, PathSpec, Protection, PutApi, RetrySpec, Scenario, SizeSpec, SseKey, SseKmsSpec,
    StreamMode, StreamSpec, WorkloadSpec, MAX_RECORD_BYTES, MIN_RECORD_BYTES,
};

type R<T> = Result<T, Problem>;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
const MIB: i64 = 1024 * 1024;
/// Capacity an on-demand stream starts with, in shards (4 MB/s write).
const ON_DEMAND_SHARDS: u32 = 4;
/// Highest records/s per path.
pub(super) const MAX_RATE_PER_SEC: f64 = 50_000.0;

/// An integer field's valid range (inclusive), default and unit.
pub(super) struct Ints {
    lo: i64,
    hi: i64,
    default: i64,
    unit: &'static str,
}

const SEED: Ints = ints(0, i64::MAX, 0, "");
const SHARDS: Ints = ints(1, 64, 1, " shards");
const PRODUCERS: Ints = ints(1, 64, 1, " producers");
const CONSUMERS: Ints = ints(1, 16, 1, " consumers");
const PARTITION_KEYS: Ints = ints(1, 100_000, 64, " keys");
const MAX_IN_FLIGHT: Ints = ints(1, crate::MAX_IN_FLIGHT as i64, 16, " sends, or \"auto\"");
const RECORD_BYTES: Ints = ints(
    MIN_RECORD_BYTES as i64,
    MAX_RECORD_BYTES as i64,
    1024,
    " bytes (32 = the record header, 10485760 = 10 MiB)",
);
const BATCH_RECORDS: Ints = ints(1, 500, 500, " records");
const BATCH_BYTES: Ints = ints(1, 5 * MIB, 5 * MIB, " bytes (5 MiB)");
const CACHE_MESSAGES: Ints = ints(1, 1 << 32, 1, " records");
const CACHE_BYTES: Ints = ints(1, i64::MAX, 1, " bytes");
const CACHE_CAPACITY: Ints = ints(1, 100_000, 100, " entries");
const KMS_QUOTA: Ints = ints(1, 100_000, 10_000, " requests/s");
const ATTEMPTS: Ints = ints(1, 20, 5, " attempts");

/// An integer field's rule: `lo..=hi`, the default when absent, the unit after the bounds.
pub(super) const fn ints(lo: i64, hi: i64, default: i64, unit: &'static str) -> Ints {
    Ints {
        lo,
        hi,
        default,
        unit,
    }
}

/// A duration field's valid range (inclusive) and default.
pub(super) struct Durs {
    lo: Duration,
    hi: Duration,
    default: Duration,
}

/// A duration field's rule: `lo..=hi` and the default when absent.
pub(super) const fn durs(lo: Duration, hi: Duration, default: Duration) -> Durs {
    Durs { lo, hi, default }
}

const DRAIN: Durs = durs(MS, HOUR, Duration::from_secs(10));
const RETENTION: Durs = durs(SEC, DAY, DAY);
const LINGER: Durs = durs(
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_millis(50),
);
const CACHE_AGE: Durs = durs(MS, DAY, Duration::from_secs(300));
const REUSE: Durs = durs(SEC, DAY, Duration::from_secs(300));
const BASE_BACKOFF: Durs = durs(MS, MINUTE, Duration::from_millis(10));
const MAX_BACKOFF: Durs = durs(MS, Duration::from_secs(300), SEC);
const DAY_LENGTH: Durs = durs(MS, DAY, DAY);
const INTERVAL: Durs = durs(Duration::from_millis(100), MINUTE, SEC);
/// The name of `[control] plaintext_twin`'s path (the result's readers know it by it).
pub use kcb_result::result::TWIN;

/// Plaintext bytes per ESDK frame: the ESDK's range and default.
const FRAME_LENGTH: Ints = ints(1, i32::MAX as i64, 4096, " bytes");
/// Firehose's buffering hints: their ranges, and AWS's defaults.
const BUFFER_MIB: Ints = ints(1, 128, 5, " MiB");
const BUFFER_INTERVAL: Durs = durs(
    Duration::ZERO,
    Duration::from_secs(900),
    Duration::from_secs(300),
);

impl PathKind {
    fn name(self) -> &'static str {
        self.into()
    }
}

/// Validates a whole file; `source` and `text` are kept on the result.
pub(crate) fn scenario(raw: RawScenario, source: &Path, text: &str) -> R<Scenario> {
    let root = FieldPath::root();
    let at = |key: &str| root.key(key);
    let name = scenario_name(&at("name"), &raw.name)?;
    let clock = raw.clock.map_or(ClockMode::Real, |c| c.0);
    let duration = run_duration(&at("duration"), &raw.duration, clock)?;
    let warmup = raw
        .warmup
        .as_ref()
        .map_or(Ok(Duration::ZERO), |w| warmup(&at("warmup"), w, duration))?;
    let seed = SEED.get(&at("seed"), raw.seed)?;
    let start_at = raw
        .start_at
        .as_deref()
        .map(|s| start_at(&at("start_at"), s, clock))
        .transpose()?;
    let drain_timeout = DRAIN.get(&at("drain_timeout"), raw.drain_timeout.as_ref())?;
    let stream = stream(&at("stream"), &raw.stream.unwrap_or_default())?;
    let workload = workload(&at("workload"), &raw.workload)?;
    let mut paths = paths(&at("paths"), &raw.paths)?;
    let tenants = raw
        .tenants
        .as_ref()
        .map(|t| super::tenants::tenants(&at("tenants"), t, workload.rate_per_sec))
        .transpose()?;
    match &tenants {
        Some(t) => {
            paths =
                super::tenants::expand(&at("paths"), &raw.paths, paths, t, workload.rate_per_sec)?
        }
        None => super::tenants::reject_tenant_key(&at("paths"), &raw.paths)?,
    }
    let twin = raw
        .control
        .as_ref()
        .and_then(|c| c.plaintext_twin)
        .unwrap_or(false);
    if twin {
        plaintext_twin(&at("control").key("plaintext_twin"), &mut paths)?;
    }
    let raw_kms = raw.kms.unwrap_or_default();
    let kms = KmsSpec {
        quota_per_sec: KMS_QUOTA.get(&at("kms").key("quota_per_sec"), raw_kms.quota_per_sec)?,
        day_length: DAY_LENGTH.get(&at("kms").key("day_length"), raw_kms.day_length.as_ref())?,
    };
    let retry = retry(&at("retry"), &raw.retry.unwrap_or_default())?;
    let raw_output = raw.output.unwrap_or_default();
    let output = OutputSpec {
        interval: INTERVAL.get(&at("output").key("interval"), raw_output.interval.as_ref())?,
    };
    let load_end = warmup + duration;
    let cx = faults::Context {
        paths: &paths,
        load_end,
        kms: &kms,
        tenants: tenants.as_ref(),
    };
    let faults = faults::faults(&at("faults"), &raw.faults, &cx)?;
    let names: Vec<&str> = paths.iter().map(|p| p.name.as_str()).collect();
    let known = expect::Known {
        paths: &names,
        faults: &faults,
        load_end,
        tenants: tenants.is_some(),
    };
    let expect = match &raw.expect {
        Some(table) => expect::expectations(&at("expect"), table, &known)?,
        None => vec![expect::schedule_kept(
            expect::DEFAULT_SCHEDULE_LAG_P99,
            true,
        )],
    };
    let target = match &raw.target {
        Some(t) => super::target::target(&at("target"), t)?,
        None => super::TargetSpec::default(),
    };
    let (source, raw_toml) = (source.to_owned(), text.to_owned());
    Ok(Scenario {
        name,
        source,
        raw_toml,
        duration,
        warmup,
        seed,
        start_at,
        clock,
        stream,
        workload,
        paths,
        kms,
        retry,
        drain_timeout,
        faults,
        expect,
        output,
        target,
        tenants,
    })
}

/// `start_at`: an RFC 3339 instant, on the real clock (a virtual run has no wall-clock start).
pub(crate) fn start_at(field: &FieldPath, s: &str, clock: ClockMode) -> R<std::time::SystemTime> {
    if clock == ClockMode::Virtual {
        return Err(Problem::new(
            field,
            "a common start is a wall-clock instant: it needs clock = \"real\"".to_owned(),
        ));
    }
    humantime::parse_rfc3339_weak(s.trim()).map_err(|e| {
        Problem::new(
            field,
            format!("{s:?} is not an RFC 3339 instant ({e}); e.g. \"2026-12-03T02:00:00Z\""),
        )
    })
}

fn scenario_name(field: &FieldPath, name: &str) -> R<String> {
    let printable = !name.chars().any(char::is_control);
    if !name.trim().is_empty() && name.chars().count() <= 128 && printable {
        return Ok(name.to_owned());
    }
    Err(Problem::new(
        field,
        format!("must be 1 to 128 printable characters (got {name:?})"),
    ))
}

fn run_duration(field: &FieldPath, raw: &RawDuration, clock: ClockMode) -> R<Duration> {
    let d = raw.value;
    let (max, limit) = match clock {
        ClockMode::Real => (
            HOUR,
            "1h with clock = \"real\"; use clock = \"virtual\" for up to 24h",
        ),
        ClockMode::Virtual => (DAY, "24h"),
    };
    if d.is_zero() || d > max {
        return Err(Problem::new(
            field,
            format!("must be > 0 and <= {limit} (got {:?})", raw.text),
        ));
    }
    Ok(d)
}

fn warmup(field: &FieldPath, raw: &RawDuration, duration: Duration) -> R<Duration> {
    let w = raw.value;
    if w >= duration {
        let limit = humantime::format_duration(duration);
        let msg = format!(
            "must be less than duration ({limit}); \"0s\" for none (got {:?})",
            raw.text
        );
        return Err(Problem::new(field, msg));
    }
    Ok(w)
}

fn stream(field: &FieldPath, raw: &RawStream) -> R<StreamSpec> {
    let mode = raw.mode.map_or(StreamMode::Provisioned, |m| m.0);
    let shards = match (mode, raw.shards) {
        (StreamMode::Provisioned, n) => SHARDS.get(&field.key("shards"), n)?,
        (StreamMode::OnDemand, None) => ON_DEMAND_SHARDS,
        (StreamMode::OnDemand, Some(_)) => {
            let msg =
                "not settable with mode = \"on-demand\" (on-demand streams start at 4 shards' \
                       capacity); remove it or use mode = \"provisioned\"";
            return Err(Problem::new(&field.key("shards"), msg));
        }
    };
    let retention = raw
        .retention
        .as_ref()
        .map(|r| RETENTION.check(&field.key("retention"), r))
        .transpose()?;
    Ok(StreamSpec {
        shards,
        mode,
        retention,
    })
}

fn workload(field: &FieldPath, raw: &RawWorkload) -> R<WorkloadSpec> {
    let at = |key: &str| field.key(key);
    let rate = raw.rate_per_sec;
    if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE_PER_SEC) {
        let msg = format!("must be > 0 and <= {MAX_RATE_PER_SEC} records/s (got {rate})");
        return Err(Problem::new(&at("rate_per_sec"), msg));
    }
    Ok(WorkloadSpec {
        rate_per_sec: rate,
        record_size: record_size(&at("record_size"), &raw.record_size)?,
        api: put_api(field, raw.api.map(|a| a.0), raw.batch.as_ref())?,
        producers: PRODUCERS.get(&at("producers"), raw.producers)?,
        consumers: CONSUMERS.get(&at("consumers"), raw.consumers)?,
        partition_keys: PARTITION_KEYS.get(&at("partition_keys"), raw.partition_keys)?,
        max_in_flight: match raw.max_in_flight {
            None | Some(RawInFlight::Auto) => InFlightSpec::Auto,
            Some(RawInFlight::Fixed(n)) => {
                InFlightSpec::Fixed(MAX_IN_FLIGHT.check(&at("max_in_flight"), n)?)
            }
        },
    })
}

fn record_size(field: &FieldPath, raw: &RawSize) -> R<SizeSpec> {
    match raw {
        RawSize::Fixed(n) => Ok(SizeSpec::Fixed(RECORD_BYTES.check(field, *n)?)),
        RawSize::List(sizes) => size_list(field, sizes),
        RawSize::Uniform(u) => {
            let at = |key: &str| field.key("uniform").key(key);
            let min_bytes = RECORD_BYTES.check(&at("min_bytes"), u.min_bytes)?;
            let max_bytes = RECORD_BYTES.check(&at("max_bytes"), u.max_bytes)?;
            if min_bytes > max_bytes {
                let msg = format!("must be >= min_bytes ({min_bytes}) (got {max_bytes})");
                return Err(Problem::new(&at("max_bytes"), msg));
            }
            Ok(SizeSpec::Uniform {
                min_bytes,
                max_bytes,
            })
        }
        RawSize::LogNormal(l) => {
            let at = |key: &str| field.key("log_normal").key(key);
            let median_bytes = RECORD_BYTES.check(&at("median_bytes"), l.median_bytes)?;
            let max_bytes = RECORD_BYTES.check(&at("max_bytes"), l.max_bytes)?;
            if median_bytes > max_bytes {
                let msg = format!("must be <= max_bytes ({max_bytes}) (got {median_bytes})");
                return Err(Problem::new(&at("median_bytes"), msg));
            }
            let sigma = l.sigma;
            if !(sigma.is_finite() && sigma > 0.0 && sigma <= 4.0) {
                return Err(Problem::new(
                    &at("sigma"),
                    format!("must be > 0 and <= 4 (got {sigma})"),
                ));
            }
            Ok(SizeSpec::LogNormal {
                median_bytes,
                sigma,
                max_bytes,
            })
        }
    }
}

fn size_list(field: &FieldPath, sizes: &[i64]) -> R<SizeSpec> {
    if sizes.is_empty() || sizes.len() > 1000 {
        let msg = format!(
            "must list 1 to 1000 sizes in bytes, e.g. [64, 1024] (got {})",
            sizes.len()
        );
        return Err(Problem::new(field, msg));
    }
    let checked = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| RECORD_BYTES.check(&field.index(i), *n));
    Ok(SizeSpec::List(checked.collect::<R<Vec<u64>>>()?))
}

fn put_api(workload: &FieldPath, api: Option<ApiName>, batch: Option<&RawBatch>) -> R<PutApi> {
    let batched = api == Some(ApiName::PutRecords);
    let field = workload.key("batch");
    let at = |key: &str| field.key(key);
    match (batched, batch) {
        (false, None) => Ok(PutApi::PutRecord),
        (false, Some(_)) => {
            let msg =
                "only valid with api = \"put-records\"; remove it or set api = \"put-records\"";
            Err(Problem::new(&field, msg))
        }
        (true, b) => Ok(PutApi::PutRecords {
            max_records: BATCH_RECORDS.get(&at("max_records"), b.and_then(|b| b.max_records))?,
            max_bytes: BATCH_BYTES.get(&at("max_bytes"), b.and_then(|b| b.max_bytes))?,
            linger: LINGER.get(&at("linger"), b.and_then(|b| b.linger.as_ref()))?,
        }),
    }
}

fn paths(field: &FieldPath, raw: &[RawPath]) -> R<Vec<PathSpec>> {
    if raw.is_empty() {
        let msg = "list at least one [[paths]] entry with kind = \"plaintext\", \"envelope\", \"sse-kms\" or \"firehose\"";
        return Err(Problem::new(field, msg));
    }
    let mut out: Vec<PathSpec> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let spec = path(&field.index(i), p)?;
        if let Some(first) = out.iter().position(|o| o.name == spec.name) {
            let msg = format!(
                "{:?} is already the name of paths[{first}]; give each path a unique `name`",
                spec.name
            );
            return Err(Problem::new(&field.index(i).key("name"), msg));
        }
        if let Some(first) = spec
            .stream
            .as_ref()
            .and_then(|st| out.iter().position(|o| o.stream.as_ref() == Some(st)))
        {
            let msg = format!("already the stream of paths[{first}]; each path reads its own stream (the ledger counts a stream's records as one path's)");
            return Err(Problem::new(&field.index(i).key("stream"), msg));
        }
        out.push(spec);
    }
    Ok(out)
}

/// `[control] plaintext_twin = true`: a second plaintext path after the others.
fn plaintext_twin(field: &FieldPath, paths: &mut Vec<PathSpec>) -> R<()> {
    if !paths
        .iter()
        .any(|p| matches!(p.protection, Protection::Plaintext))
    {
        let msg = "the twin measures the noise floor against the plaintext path: add a \
                   [[paths]] entry with kind = \"plaintext\", or set plaintext_twin = false";
        return Err(Problem::new(field, msg));
    }
    if paths.iter().any(|p| p.name == TWIN) {
        let msg = format!(
            "the twin is named {TWIN:?}, which a [[paths]] entry already is; rename that path"
        );
        return Err(Problem::new(field, msg));
    }
    paths.push(PathSpec {
        name: TWIN.to_owned(),
        protection: Protection::Plaintext,
        stream: None,
        key: None,
        tenant: None,
    });
    Ok(())
}

fn path(field: &FieldPath, p: &RawPath) -> R<PathSpec> {
    let kind = p.kind.0;
    reject_foreign_keys(field, p, kind)?;
    let name = match &p.name {
        Some(n) => path_name(&field.key("name"), n)?,
        None => kind.name().to_owned(),
    };
    let protection = match kind {
        PathKind::Plaintext => Protection::Plaintext,
        PathKind::Envelope => Protection::Envelope(envelope(field, p)?),
        PathKind::SseKms => Protection::SseKms(sse_kms(field, p)?),
        PathKind::Firehose => Protection::Firehose(firehose(field, p)?),
    };
    if kind == PathKind::Firehose && p.stream.is_some() {
        let msg = "not a setting of kind \"firehose\": the run makes the path's delivery stream (name an existing `bucket` to deliver into)";
        return Err(Problem::new(&field.key("stream"), msg));
    }
    let stream = p
        .stream
        .as_deref()
        .map(|s| stream_name(&field.key("stream"), s))
        .transpose()?;
    let key = match (kind, p.key.as_deref()) {
        (_, None) => None,
        (PathKind::SseKms, Some(k)) if k.parse::<SseKey>().is_ok() => None,
        (PathKind::Firehose, Some(k)) if k.parse::<FirehoseKeyChoice>().is_ok() => None,
        (PathKind::Plaintext, Some(_)) => {
            let msg = "not a setting of kind \"plaintext\" (it belongs to kinds \"envelope\" and \"sse-kms\")";
            return Err(Problem::new(&field.key("key"), msg));
        }
        (_, Some(k)) => Some(existing_key(&field.key("key"), k, kind)?),
    };
    Ok(PathSpec {
        name,
        protection,
        stream,
        key,
        tenant: None,
    })
}

/// A Kinesis stream name: 1 to 128 of letters, digits, `_`, `-` and `.`.
fn stream_name(field: &FieldPath, name: &str) -> R<String> {
    let ok = (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        return Ok(name.to_owned());
    }
    let msg = format!("must be an existing stream's name: 1 to 128 letters, digits, '_', '-' or '.' (got {name:?})");
    Err(Problem::new(field, msg))
}

/// An existing KMS key: its ARN (`arn:aws:kms:<region>:<account>:key/<id>` or `...:alias/<name>`)
/// or an alias (`alias/<name>`, not AWS's own `alias/aws/...`).
fn existing_key(field: &FieldPath, key: &str, kind: PathKind) -> R<String> {
    let arn_ok = key.starts_with("arn:aws")
        && key.split(':').nth(2) == Some("kms")
        && (key.contains(":key/") || key.contains(":alias/"));
    let alias_ok = key.len() > "alias/".len() && key.starts_with("alias/");
    if (arn_ok || alias_ok) && !key.contains("alias/aws/") {
        return Ok(key.to_owned());
    }
    let named = match kind {
        PathKind::Firehose => format!(
            "one of {} (the run creates a key), or an existing key's ARN or alias",
            names::<FirehoseKeyChoice>()
        ),
        PathKind::SseKms => format!(
            "one of {} (the run creates a key; alias/aws/kinesis), or an existing key's ARN or alias",
            names::<SseKey>()
        ),
        _ => "an existing key's ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias (alias/<name>); leave it out and the run creates a key".to_owned(),
    };
    Err(Problem::new(
        field,
        format!("must be {named} (got {key:?})"),
    ))
}

/// Keys that belong to one kind only: name, whether it is set, the kind it belongs to.
fn kind_keys(p: &RawPath) -> [(&'static str, bool, PathKind); 13] {
    [
        ("format", p.format.is_some(), PathKind::Envelope),
        ("suite", p.suite.is_some(), PathKind::Envelope),
        ("frame_length", p.frame_length.is_some(), PathKind::Envelope),
        ("aead", p.aead.is_some(), PathKind::Envelope),
        ("aead_backend", p.aead_backend.is_some(), PathKind::Envelope),
        (
            "encryption_context",
            p.encryption_context.is_some(),
            PathKind::Envelope,
        ),
        ("cache", p.cache.is_some(), PathKind::Envelope),
        ("reuse_period", p.reuse_period.is_some(), PathKind::SseKms),
        (
            "destination_sse",
            p.destination_sse.is_some(),
            PathKind::Firehose,
        ),
        (
            "buffer_size_mib",
            p.buffer_size_mib.is_some(),
            PathKind::Firehose,
        ),
        (
            "buffer_interval",
            p.buffer_interval.is_some(),
            PathKind::Firehose,
        ),
        ("bucket", p.bucket.is_some(), PathKind::Firehose),
        (
            "delivery_role",
            p.delivery_role.is_some(),
            PathKind::Firehose,
        ),
    ]
}

fn reject_foreign_keys(field: &FieldPath, p: &RawPath, kind: PathKind) -> R<()> {
    let keys = kind_keys(p);
    let Some((key, _, owner)) = keys.iter().find(|(_, set, owner)| *set && *owner != kind) else {
        return Ok(());
    };
    let mut valid = vec!["kind", "name", "stream"];
    if kind != PathKind::Plaintext {
        valid.push("key");
    }
    valid.extend(keys.iter().filter(|k| k.2 == kind).map(|k| k.0));
    let (kind, owner, valid) = (kind.name(), owner.name(), valid.join(", "));
    let msg = format!("not a setting of kind {kind:?} (it belongs to kind {owner:?}); keys valid for {kind:?}: {valid}");
    Err(Problem::new(&field.key(key), msg))
}

pub(super) fn path_name(field: &FieldPath, name: &str) -> R<String> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let first_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if chars_ok && first_ok && name.len() <= 64 {
        return Ok(name.to_owned());
    }
    let msg = format!("must be 1 to 64 ASCII letters, digits, '-' or '_', starting with a letter or digit (got {name:?})");
    Err(Problem::new(field, msg))
}

fn envelope(field: &FieldPath, p: &RawPath) -> R<EnvelopeSpec> {
    let format = envelope_format(field, p)?;
    let context = p.encryption_context.clone().unwrap_or_default();
    check_context(&field.key("encryption_context"), &context)?;
    let cache = p
        .cache
        .as_ref()
        .map(|c| cache(&field.key("cache"), c))
        .transpose()?;
    Ok(EnvelopeSpec {
        format,
        encryption_context: context,
        cache,
    })
}

/// `format` and the settings that belong to it: `suite` and `frame_length` for "esdk",
/// `aead` and `aead_backend` for "compact".
fn envelope_format(field: &FieldPath, p: &RawPath) -> R<EnvelopeFormat> {
    let esdk = p.format.is_none_or(|f| f.0 == FormatName::Esdk);
    if esdk {
        if p.aead.is_some() {
            let msg = "not a setting of format \"esdk\" (ESDK suites use AES-256-GCM); set format = \"compact\" to choose the cipher, or choose an ESDK suite with suite = \"aes-256-gcm-hkdf-sha512-commit-key-ecdsa-p384\" or \"aes-256-gcm-hkdf-sha512-commit-key\"";
            return Err(Problem::new(&field.key("aead"), msg));
        }
        if let Some(backend) = p.aead_backend {
            if backend.0 != AeadBackendChoice::AwsLcRs {
                let msg = "format \"esdk\" seals with aws-lc-rs only; valid: \"aws-lc-rs\", or set format = \"compact\" to use \"rustcrypto\"";
                return Err(Problem::new(&field.key("aead_backend"), msg));
            }
        }
        let suite = p.suite.map_or(EsdkSuiteChoice::CommitKeyEcdsaP384, |s| s.0);
        let frame_length = FRAME_LENGTH.get(&field.key("frame_length"), p.frame_length)?;
        return Ok(EnvelopeFormat::Esdk {
            suite,
            frame_length,
        });
    }
    for (key, set) in [
        ("suite", p.suite.is_some()),
        ("frame_length", p.frame_length.is_some()),
    ] {
        if set {
            let msg = "not a setting of format \"compact\" (it belongs to format \"esdk\"); keys valid for format \"compact\": aead, aead_backend";
            return Err(Problem::new(&field.key(key), msg));
        }
    }
    let aead = p.aead.map_or(Aead::Aes256Gcm, |a| a.0);
    let aead_backend = p.aead_backend.map_or(AeadBackendChoice::AwsLcRs, |b| b.0);
    Ok(EnvelopeFormat::Compact { aead, aead_backend })
}

fn check_context(field: &FieldPath, context: &BTreeMap<String, String>) -> R<()> {
    match context
        .keys()
        .find(|k| k.is_empty() || k.starts_with("aws-crypto-"))
    {
        None => Ok(()),
        Some(key) => {
            let msg = "keys must be non-empty and must not start with \"aws-crypto-\" (reserved by the AWS Encryption SDK)";
            Err(Problem::new(&field.key(key), msg))
        }
    }
}

fn cache(field: &FieldPath, c: &RawCache) -> R<CacheSpec> {
    let at = |key: &str| field.key(key);
    let max_age = c
        .max_age
        .as_ref()
        .map(|d| CACHE_AGE.check(&at("max_age"), d))
        .transpose()?;
    let max_messages = c
        .max_messages
        .map(|n| CACHE_MESSAGES.check(&at("max_messages"), n))
        .transpose()?;
    let max_bytes = c
        .max_bytes
        .map(|n| CACHE_BYTES.check(&at("max_bytes"), n))
        .transpose()?;
    if max_age.is_none() && max_messages.is_none() && max_bytes.is_none() {
        let msg =
            "set at least one limit: max_age, max_messages or max_bytes (without one a data key \
                   would serve forever); remove `cache` for no cache";
        return Err(Problem::new(field, msg));
    }
    let capacity = CACHE_CAPACITY.get(&at("capacity"), c.capacity)?;
    Ok(CacheSpec {
        max_age,
        max_messages,
        max_bytes,
        capacity,
        single_flight: c.single_flight.unwrap_or(false),
    })
}

fn sse_kms(field: &FieldPath, p: &RawPath) -> R<SseKmsSpec> {
    // Anything but the two names is an existing customer-managed key, checked by `path`.
    let named = p.key.as_deref().and_then(|k| k.parse::<SseKey>().ok());
    Ok(SseKmsSpec {
        key: named.unwrap_or(SseKey::CustomerManaged),
        reuse_period: REUSE.get(&field.key("reuse_period"), p.reuse_period.as_ref())?,
    })
}

fn firehose(field: &FieldPath, p: &RawPath) -> R<FirehoseSpec> {
    // Anything but the three names is an existing customer-managed key, checked by `path`.
    let named = p
        .key
        .as_deref()
        .and_then(|k| k.parse::<FirehoseKeyChoice>().ok());
    let key = match (named, &p.key) {
        (Some(k), _) => k,
        (None, Some(_)) => FirehoseKeyChoice::CustomerManaged,
        (None, None) => FirehoseKeyChoice::AwsOwned,
    };
    let bucket = p
        .bucket
        .as_deref()
        .map(|b| {
            let ok = (3..=63).contains(&b.len())
                && b.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
                && b.starts_with(|c: char| c.is_ascii_alphanumeric());
            if ok {
                Ok(b.to_owned())
            } else {
                Err(Problem::new(
                    &field.key("bucket"),
                    format!("must be an S3 bucket name: 3 to 63 of a-z, 0-9, '-' and '.', starting with a letter or digit (got {b:?})"),
                ))
            }
        })
        .transpose()?;
    let delivery_role = p
        .delivery_role
        .as_deref()
        .map(|r| {
            if r.starts_with("arn:aws")
                && r.split(':').nth(2) == Some("iam")
                && r.contains(":role/")
            {
                Ok(r.to_owned())
            } else {
                Err(Problem::new(
                    &field.key("delivery_role"),
                    format!(
                        "must be an IAM role ARN, arn:aws:iam::<account>:role/<name> (got {r:?})"
                    ),
                ))
            }
        })
        .transpose()?;
    Ok(FirehoseSpec {
        key,
        destination_sse: p.destination_sse.map_or(DestinationSse::None, |d| d.0),
        buffer_size_mib: BUFFER_MIB.get::<u32>(&field.key("buffer_size_mib"), p.buffer_size_mib)?,
        buffer_interval: BUFFER_INTERVAL
            .get(&field.key("buffer_interval"), p.buffer_interval.as_ref())?,
        bucket,
        delivery_role,
    })
}

fn retry(field: &FieldPath, raw: &RawRetry) -> R<RetrySpec> {
    let at = |key: &str| field.key(key);
    let max_attempts = ATTEMPTS.get(&at("max_attempts"), raw.max_attempts)?;
    let base_backoff = BASE_BACKOFF.get(&at("base_backoff"), raw.base_backoff.as_ref())?;
    let max_backoff = match &raw.max_backoff {
        Some(d) => MAX_BACKOFF.check(&at("max_backoff"), d)?,
        None => MAX_BACKOFF.default.max(base_backoff),
    };
    if max_backoff < base_backoff {
        let base = humantime::format_duration(base_backoff);
        return Err(Problem::new(
            &at("max_backoff"),
            format!("must be >= retry.base_backoff ({base})"),
        ));
    }
    Ok(RetrySpec {
        max_attempts,
        base_backoff,
        max_backoff,
    })
}

impl Ints {
    /// `got` if it is in range, converted to the field's type.
    pub(super) fn check<T: TryFrom<i64>>(&self, field: &FieldPath, got: i64) -> R<T> {
        let (lo, hi, unit) = (self.lo, self.hi, self.unit);
        let out_of_range = || {
            Problem::new(
                field,
                format!("must be between {lo} and {hi}{unit} (got {got})"),
            )
        };
        if got < lo || got > hi {
            return Err(out_of_range());
        }
        T::try_from(got).map_err(|_| out_of_range())
    }

    /// `got` checked, or the default when the key is absent.
    pub(super) fn get<T: TryFrom<i64>>(&self, field: &FieldPath, got: Option<i64>) -> R<T> {
        self.check(field, got.unwrap_or(self.default))
    }
}

impl Durs {
    /// The parsed duration if it is in range.
    fn check(&self, field: &FieldPath, raw: &RawDuration) -> R<Duration> {
        let d = raw.value;
        if d < self.lo || d > self.hi {
            let (lo, hi) = (fmt_dur(self.lo), fmt_dur(self.hi));
            return Err(Problem::new(
                field,
                format!("must be between {lo} and {hi} (got {:?})", raw.text),
            ));
        }
        Ok(d)
    }

    /// `raw` checked, or the default when the key is absent.
    pub(super) fn get(&self, field: &FieldPath, raw: Option<&RawDuration>) -> R<Duration> {
        raw.map_or(Ok(self.default), |r| self.check(field, r))
    }
}

/// A bound for a message: whole hours as "24h" (humantime would say "1day"), else humantime.
pub(super) fn fmt_dur(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else {
        humantime::format_duration(d).to_string()
    }
}
