//! On AWS the KMS calls a service makes for a run (Kinesis under SSE-KMS, Firehose, S3) are
//! seen by no client: they are counted where AWS logs them, in CloudTrail. After the load the
//! admin makes one marker call (ListKeys); the run then looks the account's KMS events up
//! (`LookupEvents`, within CloudTrail's 2 requests a second) until the marker has been delivered
//! and two lookups in a row agree, or until `[target] cloudtrail_wait` has passed. The events
//! become the service log's [`KmsCallEvent`]s, attributed to paths as the embedded service's
//! are: by the resource in their encryption context (`aws:kinesis:arn`, `aws:firehose:arn`,
//! `aws:s3:arn`), else by key and context, under the caller's ARN.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use crate::backend::{BackendError, Principal, TrailEvent};
use crate::emulator::kms::{context_fingerprint, KmsCallEvent};
use crate::interrupt::Interrupt;
use crate::result::TargetResult;

/// Whether and how long a run waits for CloudTrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CloudTrail {
    /// Not a run on AWS: the embedded service's log, or only the client's count.
    #[default]
    Off,
    /// On AWS, but not looked up (`--no-cloudtrail`).
    Skipped,
    /// A worker of a run split across machines: CloudTrail's count is the whole run's.
    Worker,
    /// Looked up, waiting at most this long for the run's events.
    Wait(Duration),
}

/// What CloudTrail gave.
#[derive(Debug)]
pub enum Trail {
    /// Every KMS call from the load's start, delivered.
    Counted {
        /// The calls, as the service log's events (the admin's marker among them).
        events: Vec<KmsCallEvent>,
        /// The admin's ARN: its calls are the run's administration, not a path's.
        admin: String,
        /// How long the run waited for them.
        waited: Duration,
        /// LookupEvents requests made.
        lookups: u32,
    },
    /// Not counted, and why (in the words the result and the console print).
    NotCounted(String),
}

/// The longest wait between two lookups: a twentieth of the whole wait, from 1 s to 30 s.
fn poll_interval(wait: Duration) -> Duration {
    (wait / 20).clamp(Duration::from_secs(1), Duration::from_secs(30))
}

/// After the marker appeared `marker_after` into the wait, how long before looking again to see
/// whether the count still grows: twice that (events delivered as late as the marker have had
/// the time), from 1 s to `poll`.
fn settle_interval(marker_after: Duration, poll: Duration) -> Duration {
    (marker_after * 2).clamp(Duration::from_secs(1), poll.max(Duration::from_secs(1)))
}

/// Sleep `d`, or less if the run is interrupted (Ctrl-C): whether it was.
async fn pause_for(d: Duration, stop: &Interrupt) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => stop.is_set(),
        () = stop.wait() => true,
    }
}

/// Count the run's KMS calls from CloudTrail as `admin` (whose ARN `who` gives), from `from`
/// (the load's start), waiting at most `wait` (or until `stop`): first for the marker (looking
/// only around it, 1 s after the call, then twice as long each time up to the poll interval),
/// then for two whole lookups of the run that agree.
pub async fn count(
    admin: &Principal,
    who: &TargetResult,
    (from, wait): (SystemTime, Duration),
    stop: &Interrupt,
) -> Trail {
    let interrupted =
        || Trail::NotCounted("the run was interrupted while waiting for CloudTrail".into());
    let admin_arn = who
        .roles
        .iter()
        .find(|r| r.role == "admin")
        .and_then(|r| r.arn.clone())
        .unwrap_or_default();
    let began = Instant::now();
    let deadline = began + wait;
    if let Err(e) = admin.kms.mark().await {
        return Trail::NotCounted(format!("the marker call (ListKeys) failed: {}", short(&e)));
    }
    let marked_at = SystemTime::now();
    let poll = poll_interval(wait);
    let from_secs = secs(from);
    let is_marker = |e: &TrailEvent| {
        e.op == "ListKeys" && e.caller_arn == admin_arn && e.at.as_secs() >= from_secs
    };
    let mut lookups = 0;
    let out_of_time = |marked: bool| {
        let wait = humantime::format_duration(Duration::from_secs(wait.as_secs()));
        Trail::NotCounted(if marked {
            format!("CloudTrail was still delivering the run's events after {wait} ([target] cloudtrail_wait)")
        } else {
            format!("CloudTrail had not delivered the run's events after {wait} ([target] cloudtrail_wait)")
        })
    };
    // The marker, looked for around its own time (a minute either side: clocks differ).
    let mut pause = Duration::from_secs(1);
    let marker_after = loop {
        let window = (
            marked_at - Duration::from_secs(60),
            SystemTime::now() + Duration::from_secs(60),
        );
        match admin.cloudtrail.kms_events(window, deadline).await {
            Ok((events, n)) => {
                lookups += n;
                if events.iter().any(is_marker) {
                    break began.elapsed();
                }
            }
            Err(e) => return Trail::NotCounted(short(&e)),
        }
        let waited = began.elapsed();
        if waited >= wait {
            return out_of_time(false);
        }
        if pause_for(pause.min(wait - waited), stop).await {
            return interrupted();
        }
        pause = (pause * 2).min(poll);
    };
    // The whole run, until two lookups agree.
    let since = from - Duration::from_secs(1);
    let mut last: Option<usize> = None;
    loop {
        let to = SystemTime::now() + Duration::from_secs(60);
        let events = match admin.cloudtrail.kms_events((since, to), deadline).await {
            Ok((events, n)) => {
                lookups += n;
                events
            }
            Err(e) => return Trail::NotCounted(short(&e)),
        };
        if last == Some(events.len()) {
            return Trail::Counted {
                events: events.into_iter().map(as_service_event).collect(),
                admin: admin_arn,
                waited: began.elapsed(),
                lookups,
            };
        }
        let waited = began.elapsed();
        if waited >= wait {
            return out_of_time(true);
        }
        last = Some(events.len());
        if pause_for(settle_interval(marker_after, poll).min(wait - waited), stop).await {
            return interrupted();
        }
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// An error as the result names it: AWS's code, then its message.
fn short(e: &BackendError) -> String {
    format!("{}: {}", e.code, e.message)
}

/// The resource a service called KMS for, from the encryption context it used: a stream, a
/// delivery stream, or (for S3) the bucket of the object.
fn resource(context: &BTreeMap<String, String>) -> Option<String> {
    if let Some(arn) = context
        .get("aws:kinesis:arn")
        .or_else(|| context.get("aws:firehose:arn"))
    {
        return Some(arn.clone());
    }
    let object = context.get("aws:s3:arn")?;
    Some(object.split('/').next().unwrap_or(object).to_owned())
}

/// A CloudTrail event as the service log's event: the caller by its ARN (a service acting on
/// its own by its name), the key by its id.
fn as_service_event(e: TrailEvent) -> KmsCallEvent {
    let principal = match (&e.invoked_by, e.caller_arn.is_empty()) {
        (Some(service), true) => service.clone(),
        _ => e.caller_arn.clone(),
    };
    let via_stream = e.invoked_by.as_ref().and_then(|_| resource(&e.context));
    KmsCallEvent {
        op: e.op,
        key_id: e.key.rsplit('/').next().unwrap_or(&e.key).to_owned(),
        principal,
        via_stream,
        at: e.at,
        ok: e.error.is_none(),
        context: context_fingerprint(&e.context),
        encryption_context: e.context,
        arn: e.caller_arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(invoked_by: Option<&str>, arn: &str, context: &[(&str, &str)]) -> TrailEvent {
        TrailEvent {
            id: "1".into(),
            op: "GenerateDataKey".into(),
            at: Duration::from_secs(10),
            caller_arn: arn.into(),
            invoked_by: invoked_by.map(str::to_owned),
            key: "arn:aws:kms:us-east-1:111122223333:key/k-1".into(),
            context: context
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            error: None,
        }
    }

    #[test]
    fn a_service_call_is_the_callers_on_the_resource_in_its_context() {
        let stream = "arn:aws:kinesis:us-east-1:111122223333:stream/s";
        let producer = "arn:aws:sts::111122223333:assumed-role/producer/kcb-1";
        let e = as_service_event(event(
            Some("kinesis.amazonaws.com"),
            producer,
            &[("aws:kinesis:arn", stream)],
        ));
        assert_eq!(e.principal, producer);
        assert_eq!(e.via_stream.as_deref(), Some(stream));
        assert_eq!(e.key_id, "k-1");
        // S3's context names the object: the resource is its bucket.
        let s3 = as_service_event(event(
            Some("s3.amazonaws.com"),
            producer,
            &[("aws:s3:arn", "arn:aws:s3:::bucket/2026/12/07/object")],
        ));
        assert_eq!(s3.via_stream.as_deref(), Some("arn:aws:s3:::bucket"));
        // Firehose under its own grant: no caller, the service by name.
        let firehose = as_service_event(event(
            Some("firehose.amazonaws.com"),
            "",
            &[(
                "aws:firehose:arn",
                "arn:aws:firehose:us-east-1:111122223333:deliverystream/d",
            )],
        ));
        assert_eq!(firehose.principal, "firehose.amazonaws.com");
        // The client's own call (an envelope path's): no resource, the caller's context kept.
        let own = as_service_event(event(None, producer, &[("tenant", "a")]));
        assert_eq!(own.via_stream, None);
        assert_ne!(own.context, 0);
    }

    #[test]
    fn lookups_are_spaced_by_the_wait_and_the_markers_delay() {
        let s = Duration::from_secs;
        assert_eq!(poll_interval(s(15 * 60)), s(30));
        assert_eq!(poll_interval(s(5)), s(1));
        assert_eq!(poll_interval(s(100)), s(5));
        // A marker delivered at once: look again a second later; after 4 minutes: at the poll.
        assert_eq!(settle_interval(Duration::ZERO, s(30)), s(1));
        assert_eq!(settle_interval(s(3), s(30)), s(6));
        assert_eq!(settle_interval(s(240), s(30)), s(30));
    }
}
