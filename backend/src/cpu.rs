//! CPU-bound work (message analysis, report rendering) off the async
//! runtime. On a small machine a handful of 1 MiB analyses running inline
//! would hold every runtime worker, and cheap requests (`GET
//! /api/reports/{id}`, `/healthz`, SSE) would queue behind them. Here the
//! work runs on the blocking pool, at most one job per CPU at a time; the
//! rest wait asynchronously for a permit.

use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

/// One permit per CPU.
static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cpus))
});

/// Runs `job` on the blocking pool once a CPU permit is free. The permit
/// moves into the job, so a caller that goes away (a client hanging up)
/// does not free it before the work ends. A panic in `job` resumes here.
pub async fn run<T, F>(job: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let permit = PERMITS
        .clone()
        .acquire_owned()
        .await
        .expect("the CPU semaphore is never closed");
    let handle = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        job()
    });
    match handle.await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("blocking job cancelled: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_runtime_and_at_most_one_per_cpu() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..16)
            .map(|i| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 2
                }))
            })
            .collect();
        // The single runtime thread stays free while the jobs (16 × 20 ms of
        // blocking) run: a 5 ms timer fires on time. Run inline, the first
        // job alone would hold the thread for 20 ms.
        let started = std::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let late = started.elapsed();
        assert!(
            late < Duration::from_millis(15),
            "the runtime was blocked for {late:?}"
        );
        let mut sum = 0;
        for job in jobs {
            sum += job.await.unwrap();
        }
        assert_eq!(sum, (0..16).map(|i| i * 2).sum::<usize>());
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= cpus, "peak {peak} with {cpus} CPUs");
    }
}
