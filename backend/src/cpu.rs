//! CPU-bound work (message analysis, report rendering) off the async
//! runtime. On a small machine a handful of 1 MiB analyses running inline
//! would hold every runtime worker, and cheap requests (`GET
//! /api/reports/{id}`, `/healthz`, SSE) would queue behind them. Here the
//! work runs on the blocking pool, at most one job per CPU at a time; the
//! rest wait asynchronously for a permit, but only a bounded number of
//! them: beyond the queue a job is refused at once ([`Busy`], which the
//! handlers answer with 503 `busy` and `Retry-After`), so a flood of large
//! pastes fails fast instead of making every request wait minutes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{Semaphore, TryAcquireError};

/// Jobs allowed to wait per CPU when `--cpu-queue` is not given. A
/// 900 KiB paste takes about 0.13 s of one CPU (release build, `mxlens
/// headers --json` on the 2-core dev machine), a typical paste of a few KiB
/// of headers under a millisecond. So 32 waiting jobs per CPU are at most
/// about 4 s of backlog even when every one is a maximal paste, well inside
/// clients' timeouts, while ordinary bursts (a few users, a script's batch)
/// never see a 503; and the request bodies the queue holds stay bounded
/// (32 × about 2 MiB, raw JSON plus the decoded message, per CPU).
pub const DEFAULT_QUEUE_PER_CPU: usize = 32;

/// What a refused client is told to wait before retrying (seconds;
/// `Retry-After`, RFC 9110 §10.2.3): about the time the queue needs to
/// drain, short enough that a legitimate user retrying by hand is served.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Every CPU is busy and the waiting queue is full: the job was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy analysing other messages; retry in {RETRY_AFTER_SECS} s")]
pub struct Busy;

/// The CPUs of this process as a bounded pool: `permits` jobs run at once,
/// at most `queue` more wait for a permit.
#[derive(Debug)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    queue: usize,
    refused: AtomicU64,
}

/// The CPUs this process may use (2 when unknown).
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl CpuPool {
    /// A pool running `permits` jobs at once (at least one) with at most
    /// `queue` waiting; `queue == 0` refuses whenever every permit is taken.
    pub fn new(permits: usize, queue: usize) -> Self {
        let size = permits.max(1);
        CpuPool {
            permits: Arc::new(Semaphore::new(size)),
            size,
            waiting: AtomicUsize::new(0),
            queue,
            refused: AtomicU64::new(0),
        }
    }

    /// One permit per CPU, and `queue` waiting jobs, or
    /// [`DEFAULT_QUEUE_PER_CPU`] per CPU when `None`.
    pub fn for_this_machine(queue: Option<usize>) -> Self {
        let cpus = cpus();
        CpuPool::new(
            cpus,
            queue.unwrap_or(cpus.saturating_mul(DEFAULT_QUEUE_PER_CPU)),
        )
    }

    /// Jobs waiting for a permit now (running ones are not counted).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// The most jobs allowed to wait.
    pub fn queue_limit(&self) -> usize {
        self.queue
    }

    /// Jobs running now (holding a permit).
    pub fn running(&self) -> usize {
        self.size - self.permits.available_permits().min(self.size)
    }

    /// Jobs refused with [`Busy`] since the pool was made.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Runs `job` on the blocking pool once a CPU permit is free, or
    /// returns [`Busy`] at once when every permit is taken and `queue` jobs
    /// already wait. The permit moves into the job, so a caller that goes
    /// away (a client hanging up) does not free it before the work ends; a
    /// caller that goes away while waiting frees its place in the queue. A
    /// panic in `job` resumes here.
    pub async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => {
                // Tokio's semaphore is fair: a released permit goes to the
                // oldest waiter, so a free permit means nobody waits and a
                // newcomer cannot overtake the queue.
                let Some(_place) = self.enter_queue() else {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return Err(Busy);
                };
                self.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the CPU semaphore is never closed")
            }
            Err(TryAcquireError::Closed) => unreachable!("the CPU semaphore is never closed"),
        };
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        });
        match handle.await {
            Ok(value) => Ok(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("blocking job cancelled: {e}"),
        }
    }

    /// Takes a place in the queue, or `None` when it is full.
    fn enter_queue(&self) -> Option<QueuePlace<'_>> {
        self.waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                (w < self.queue).then_some(w + 1)
            })
            .ok()
            .map(|_| QueuePlace(&self.waiting))
    }
}

/// A place in the waiting queue, given back on drop (permit acquired, or
/// the caller went away while waiting).
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_runtime_and_at_most_one_per_cpu() {
        let pool = Arc::new(CpuPool::for_this_machine(Some(16)));
        let runtime_thread = std::thread::current().id();
        // A job that blocks until the runtime thread answers it: run inline
        // on that thread, it could never be answered and would give up
        // after 10 s. No clock decides the verdict.
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (answer_tx, answer_rx) = std::sync::mpsc::channel::<()>();
        let gate = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started_tx.send(());
                    answer_rx.recv_timeout(Duration::from_secs(10)).is_ok()
                })
                .await
            })
        };
        started_rx.await.expect("the gate job started");
        answer_tx.send(()).unwrap();
        assert!(gate.await.unwrap().unwrap(), "the runtime thread was held");

        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..16)
            .map(|i| {
                let (running, peak, pool) = (running.clone(), peak.clone(), pool.clone());
                tokio::spawn(async move {
                    pool.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        (i * 2, std::thread::current().id())
                    })
                    .await
                })
            })
            .collect();
        let mut sum = 0;
        for job in jobs {
            let (value, thread) = job.await.unwrap().unwrap();
            assert_ne!(thread, runtime_thread, "a job ran on the runtime thread");
            sum += value;
        }
        assert_eq!(sum, (0..16).map(|i| i * 2).sum::<usize>());
        let cpus = cpus();
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= cpus, "peak {peak} with {cpus} CPUs");
        assert_eq!(pool.waiting(), 0);
    }

    /// Starts a job that holds one CPU permit until the returned sender is
    /// used, and returns once it runs; the handle yields the job's result.
    async fn hold_a_cpu<T: Send + 'static>(
        pool: &Arc<CpuPool>,
        value: T,
    ) -> (
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<T, Busy>>,
    ) {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let pool = pool.clone();
        let job = tokio::spawn(async move {
            pool.run(move || {
                let _ = started_tx.send(());
                hold.recv().unwrap();
                value
            })
            .await
        });
        started_rx.await.unwrap();
        (release, job)
    }

    /// Waits (briefly) until `pool` has `n` jobs waiting.
    async fn until_waiting(pool: &CpuPool, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.waiting() != n {
            assert!(
                Instant::now() < deadline,
                "{} waiting, not {n}",
                pool.waiting()
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn beyond_the_queue_a_job_is_refused_at_once_and_the_rest_complete() {
        // One permit, two places in the queue: job 1 runs, jobs 2 and 3
        // wait, job 4 is refused without waiting and without running.
        let pool = Arc::new(CpuPool::new(1, 2));
        let (release, first) = hold_a_cpu(&pool, 1).await;
        let waiters: Vec<_> = (2..=3)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.run(move || i).await })
            })
            .collect();
        until_waiting(&pool, 2).await;

        let ran = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let fourth = tokio::time::timeout(Duration::from_secs(1), {
            let ran = ran.clone();
            pool.run(move || ran.fetch_add(1, Ordering::SeqCst))
        })
        .await
        .expect("the 4th job must not wait");
        let took = started.elapsed();
        assert_eq!(fourth, Err(Busy));
        assert!(took < Duration::from_millis(100), "refused after {took:?}");
        assert_eq!(pool.waiting(), 2, "a refused job takes no place");
        assert_eq!((pool.running(), pool.refused()), (1, 1));

        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(1));
        let mut done = Vec::new();
        for waiter in waiters {
            done.push(waiter.await.unwrap().unwrap());
        }
        assert_eq!(done, [2, 3]);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the refused job never ran");
        assert_eq!((pool.waiting(), pool.running()), (0, 0));
        // The queue drained: a new job is accepted again.
        assert_eq!(pool.run(|| 5).await, Ok(5));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiter_that_goes_away_frees_its_place() {
        let pool = Arc::new(CpuPool::new(1, 1));
        let (release, first) = hold_a_cpu(&pool, ()).await;
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| ()).await }
        });
        until_waiting(&pool, 1).await;
        assert_eq!(pool.run(|| ()).await, Err(Busy), "the queue is full");
        // The client hangs up: its request future is dropped.
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(pool.waiting(), 0);
        let next = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 7).await }
        });
        until_waiting(&pool, 1).await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(next.await.unwrap(), Ok(7));
    }
}
