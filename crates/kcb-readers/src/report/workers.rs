//! What every report says of a run split across machines: the workers a merged result combines
//! (each one's start lag and clock offset from the endpoint) and what its figures mean that one
//! machine's would not; or, for one worker's own result, its share.

use crate::result::{RunResult, WorkerResult};

/// The lines, in order: a heading line, one per worker, then the merge's notes; none for a run
/// on one machine.
pub fn lines(r: &RunResult) -> Vec<String> {
    if let Some(m) = &r.workers {
        let mut out = vec![format!(
            "merged from {} workers of run {}",
            m.count,
            m.workers.first().map_or("", |w| w.run_tag.as_str())
        )];
        out.extend(m.workers.iter().map(worker));
        out.extend(m.notes.iter().map(|n| format!("note: {n}")));
        return out;
    }
    match &r.worker {
        Some(w) if w.count > 1 => vec![
            format!(
                "worker {} of {} of run {}: this result is its share alone (`merge` the workers' results for the whole)",
                w.index, w.count, w.run_tag
            ),
            worker(w),
        ],
        _ => Vec::new(),
    }
}

fn worker(w: &WorkerResult) -> String {
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} ms"));
    let mut s = format!(
        "worker {}/{}: start lag {}, clock offset from the endpoint {} (± {})",
        w.index,
        w.count,
        ms(w.start_lag_ms),
        ms(w.clock_offset_ms),
        ms(w.clock_offset_error_ms)
    );
    if w.provisioned {
        s.push_str("; created the shared streams and keys");
    }
    if w.carried_out_faults {
        s.push_str("; carried out the faults that change the shared world");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{sample_run_result, MergedWorkers};

    fn w(index: u32) -> WorkerResult {
        WorkerResult {
            index,
            count: 2,
            run_tag: "0a1b2c3d".into(),
            start_at: Some("2026-12-03T02:00:00Z".into()),
            start_lag_ms: Some(1.5),
            clock_offset_ms: Some(-3.0),
            clock_offset_error_ms: Some(501.0),
            provisioned: index == 1,
            carried_out_faults: index == 1,
        }
    }

    #[test]
    fn a_merged_result_names_each_worker_and_its_notes() {
        let mut r = sample_run_result();
        assert!(lines(&r).is_empty(), "one machine: nothing to say");
        r.workers = Some(MergedWorkers {
            count: 2,
            workers: vec![w(1), w(2)],
            sources: vec!["a".into(), "b".into()],
            notes: vec!["two caches".into()],
        });
        let l = lines(&r);
        assert_eq!(l.len(), 4, "{l:?}");
        assert!(l[0].contains("2 workers of run 0a1b2c3d"));
        assert!(l[1].starts_with("worker 1/2: start lag 1.5 ms, clock offset from the endpoint -3.0 ms (± 501.0 ms); created"));
        assert!(!l[2].contains("created"));
        assert_eq!(l[3], "note: two caches");
        r.workers = None;
        r.worker = Some(w(2));
        let l = lines(&r);
        assert!(l[0].starts_with("worker 2 of 2 of run 0a1b2c3d: this result is its share alone"));
    }
}
