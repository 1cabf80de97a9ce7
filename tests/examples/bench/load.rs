//! `bench load`: a trivial DNS load client, to measure what the bench DNS
//! server itself can answer at a given delay before any mxlens figure is
//! trusted (issue #17: a server that sleeps per query in a thread caps at a
//! few hundred answers/s).
//!
//! It keeps `--in-flight` queries outstanding over `--sockets` UDP sockets
//! for `--seconds`, from pre-encoded questions shaped like an audit's (mostly
//! TXT, most of them NXDOMAIN: guessed DKIM selectors), patching only the
//! 16-bit ID per send. It prints answers/s, latency percentiles and RCODEs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

/// A question left unanswered this long is counted lost and its slot freed.
const LOST_AFTER: Duration = Duration::from_secs(2);

/// The questions of one generated domain (`d<i>.bench.test`): 5 answered,
/// 1 NODATA, 6 NXDOMAIN, about the proportions of an audit.
fn questions(domains: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let shapes: &[(&str, RecordType)] = &[
        ("", RecordType::TXT),
        ("_dmarc.", RecordType::TXT),
        ("s1._domainkey.", RecordType::TXT),
        ("mx.", RecordType::A),
        ("", RecordType::MX),
        ("", RecordType::AAAA),
        ("google._domainkey.", RecordType::TXT),
        ("selector1._domainkey.", RecordType::TXT),
        ("k1._domainkey.", RecordType::TXT),
        ("default._domainkey.", RecordType::TXT),
        ("_mta-sts.", RecordType::TXT),
        ("default._bimi.", RecordType::TXT),
    ];
    let mut out = Vec::new();
    for i in 0..domains.max(1) {
        for (prefix, rtype) in shapes {
            let name = Name::from_ascii(format!("{prefix}d{i}.bench.test."))?;
            let mut message = Message::query();
            message.metadata.recursion_desired = true;
            message.add_query(Query::query(name, *rtype));
            let mut edns = Edns::new();
            edns.set_max_payload(1232);
            message.set_edns(edns);
            out.push(message.to_vec()?);
        }
    }
    Ok(out)
}

/// What one socket saw.
#[derive(Default)]
struct Tally {
    sent: u64,
    answered: u64,
    lost: u64,
    latencies_us: Vec<u32>,
    rcodes: [u64; 16],
}

/// Runs the load and prints the figures.
pub async fn load(
    addr: SocketAddr,
    in_flight: usize,
    sockets: usize,
    seconds: f64,
    domains: usize,
) -> anyhow::Result<()> {
    let questions = Arc::new(questions(domains)?);
    let sockets = sockets.max(1);
    let per_socket = (in_flight / sockets).max(1);
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for s in 0..sockets {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        socket.connect(addr).await?;
        let questions = questions.clone();
        tasks.push(tokio::spawn(drive(
            socket, questions, s, per_socket, started, until,
        )));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await??;
        total.sent += t.sent;
        total.answered += t.answered;
        total.lost += t.lost;
        total.latencies_us.extend(t.latencies_us);
        for (a, b) in total.rcodes.iter_mut().zip(t.rcodes) {
            *a += b;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        let l = &total.latencies_us;
        if l.is_empty() {
            return 0.0;
        }
        let i = ((l.len() as f64 * p) as usize).min(l.len() - 1);
        f64::from(l[i]) / 1000.0
    };
    println!(
        "in flight {in_flight} over {sockets} sockets, {elapsed:.2} s: sent {}, answered {} ({:.0}/s), lost {}; latency ms p50 {:.1} p90 {:.1} p99 {:.1} max {:.1}; NOERROR {} NXDOMAIN {} SERVFAIL {} other {}",
        total.sent,
        total.answered,
        total.answered as f64 / elapsed,
        total.lost,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        total.rcodes[0],
        total.rcodes[3],
        total.rcodes[2],
        total.answered - total.rcodes[0] - total.rcodes[3] - total.rcodes[2],
    );
    Ok(())
}

/// One socket: a sender keeping `window` questions outstanding until
/// `until`, and this task receiving, matching answers on the ID.
async fn drive(
    socket: Arc<UdpSocket>,
    questions: Arc<Vec<Vec<u8>>>,
    offset: usize,
    window: usize,
    started: Instant,
    until: Instant,
) -> anyhow::Result<Tally> {
    // Send time (ns since `started`, +1) per ID; 0 = free.
    let slots: Arc<Vec<AtomicU64>> = Arc::new((0..65536).map(|_| AtomicU64::new(0)).collect());
    let permits = Arc::new(Semaphore::new(window));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (socket, slots, permits, sent) =
            (socket.clone(), slots.clone(), permits.clone(), sent.clone());
        tokio::spawn(async move {
            let mut next_id: u16 = 0;
            let mut q = offset * 7919;
            while Instant::now() < until {
                let Ok(permit) = permits.acquire().await else {
                    break;
                };
                permit.forget();
                while slots[usize::from(next_id)].load(Ordering::Relaxed) != 0 {
                    next_id = next_id.wrapping_add(1);
                }
                let id = next_id;
                next_id = next_id.wrapping_add(1);
                let mut bytes = questions[q % questions.len()].clone();
                q += 1;
                bytes[..2].copy_from_slice(&id.to_be_bytes());
                let now = started.elapsed().as_nanos() as u64 + 1;
                slots[usize::from(id)].store(now, Ordering::Relaxed);
                if socket.send(&bytes).await.is_err() {
                    slots[usize::from(id)].store(0, Ordering::Relaxed);
                    permits.add_permits(1);
                    continue;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut tally = Tally::default();
    let mut buf = vec![0u8; 4096];
    let mut last_sweep = Instant::now();
    loop {
        let outstanding = window - permits.available_permits();
        if sender.is_finished() && outstanding == 0 {
            break;
        }
        if Instant::now() > until + LOST_AFTER * 2 {
            tally.lost += outstanding as u64;
            break;
        }
        match tokio::time::timeout(Duration::from_millis(100), socket.recv(&mut buf)).await {
            Ok(Ok(n)) if n >= 12 => {
                let id = u16::from_be_bytes([buf[0], buf[1]]);
                let at = slots[usize::from(id)].swap(0, Ordering::Relaxed);
                if at != 0 {
                    let now = started.elapsed().as_nanos() as u64 + 1;
                    tally.answered += 1;
                    tally.latencies_us.push(((now - at) / 1000) as u32);
                    tally.rcodes[usize::from(buf[3] & 0x0f)] += 1;
                    permits.add_permits(1);
                }
            }
            Ok(_) | Err(_) => {}
        }
        if last_sweep.elapsed() > Duration::from_millis(200) {
            last_sweep = Instant::now();
            let cutoff = (started.elapsed().saturating_sub(LOST_AFTER)).as_nanos() as u64;
            for slot in slots.iter() {
                let at = slot.load(Ordering::Relaxed);
                if at != 0 && at < cutoff && slot.swap(0, Ordering::Relaxed) != 0 {
                    tally.lost += 1;
                    permits.add_permits(1);
                }
            }
        }
    }
    sender.await?;
    tally.sent = sent.load(Ordering::Relaxed);
    Ok(tally)
}
