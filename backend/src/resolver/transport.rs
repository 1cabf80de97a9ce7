//! How a question travels: a small pool of long-lived UDP sockets per name
//! server, and TCP when an answer is truncated.
//!
//! A new socket per query (what hickory-resolver's UDP client does) costs
//! socket, bind, epoll registration and close for every question: about a
//! quarter of a batch's CPU (issue #17). Here each server gets
//! [`SOCKETS_PER_SERVER`] sockets, each bound to its own ephemeral port,
//! which Linux picks at random, and connected to the server, so the kernel
//! delivers only the server's datagrams (RFC 5452 §9.1: the answer must
//! come from the address and port the query went to). Every query goes out
//! on a socket picked at random, with a random 16-bit ID unused on that
//! socket (RFC 5452 §9.2, §10), and an answer is accepted only when its ID
//! and its question section both match (RFC 5452 §9.1). A socket is retired
//! after [`USES_PER_SOCKET`] queries and replaced by a fresh one on a new
//! random port, so a long batch does not keep one port for hours.
//!
//! One task per socket reads answers, decodes them and hands each to the
//! query waiting for it; a datagram that matches nothing is dropped.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, Notify};

/// Sockets per name server. Eight spread the answers of thousands of
/// queries in flight over several receive buffers and runtime threads; the
/// port entropy comes from each query picking one at random.
pub const SOCKETS_PER_SERVER: usize = 8;

/// Queries a socket carries before it is replaced by one on a new port.
pub const USES_PER_SOCKET: u32 = 4096;

/// Receive buffer asked for each socket: a burst of answers to thousands of
/// queries in flight must not overflow the default (about 200 KiB).
const RECV_BUFFER: usize = 1 << 20;

/// The largest answer read over UDP. We advertise [`EDNS_PAYLOAD`]
/// (RFC 6891 §6.2.5); a longer datagram is still read whole.
const MAX_DATAGRAM: usize = 65_535;

/// The UDP payload size we advertise in EDNS: 1232 octets, the DNS Flag Day
/// 2020 value and hickory's default, so servers truncate as they did before.
pub const EDNS_PAYLOAD: u16 = 1232;

/// Why an exchange gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer in time.
    Timeout,
    /// The network said no (connection refused, unreachable), or the answer
    /// could not be used; with a description.
    Error(String),
}

/// The header flags of a query we send.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryFlags {
    /// AD=1 in the header and DO=1 in EDNS: ask a validating resolver to say
    /// whether it validated the answer (RFC 6840 §5.7).
    pub dnssec: bool,
}

/// A question in wire form: QNAME, QTYPE and QCLASS (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question(Vec<u8>);

impl Question {
    /// The question for `name` (already validated: labels of 1–63 octets, at
    /// most 255 octets on the wire) of `rtype`, class IN.
    pub fn new(name: &hickory_proto::rr::Name, rtype: hickory_proto::rr::RecordType) -> Self {
        let mut wire = Vec::with_capacity(64);
        for label in name.iter() {
            // Labels were checked by `query_name`: at most 63 octets.
            wire.push(label.len() as u8);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        wire.extend_from_slice(&u16::from(rtype).to_be_bytes());
        // Class IN (RFC 1035 §3.2.4).
        wire.extend_from_slice(&1u16.to_be_bytes());
        Question(wire)
    }

    /// Whether `answer` (a whole message) carries exactly this question:
    /// QDCOUNT 1, the same name (ASCII case aside, RFC 4343 §3) and the same
    /// type and class. The question is the first name of a message, so it is
    /// never compressed (RFC 1035 §4.1.4 pointers point backwards).
    fn is_answered_by(&self, answer: &[u8]) -> bool {
        let q = &self.0;
        let Some(section) = answer.get(12..12 + q.len()) else {
            return false;
        };
        let name_len = q.len() - 4;
        answer[4..6] == [0, 1]
            && section[..name_len].eq_ignore_ascii_case(&q[..name_len])
            && section[name_len..] == q[name_len..]
    }
}

/// The query message for `question` with `id` (RFC 1035 §4.1.1): RD=1,
/// one question, and an EDNS OPT record advertising [`EDNS_PAYLOAD`]
/// (RFC 6891 §6.1.2), with DO=1 and AD=1 for a DNSSEC status query.
pub fn encode_query(id: u16, question: &Question, flags: QueryFlags) -> Vec<u8> {
    let mut m = Vec::with_capacity(12 + question.0.len() + 11);
    m.extend_from_slice(&id.to_be_bytes());
    // QR=0, OPCODE=0, RD=1; AD (RFC 4035 §3.2.3) in the second octet.
    m.push(0x01);
    m.push(if flags.dnssec { 0x20 } else { 0x00 });
    // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1.
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1]);
    m.extend_from_slice(&question.0);
    // OPT: root name, TYPE 41, CLASS = payload size, TTL = extended RCODE 0,
    // version 0, flags (DO is the top bit), RDLENGTH 0.
    m.push(0);
    m.extend_from_slice(&41u16.to_be_bytes());
    m.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    m.extend_from_slice(&[0, 0, if flags.dnssec { 0x80 } else { 0 }, 0, 0, 0]);
    m
}

type Reply = oneshot::Sender<Result<Message, Failure>>;

/// A query waiting on a socket.
struct Pending {
    question: Question,
    reply: Reply,
}

/// One pooled socket and the queries waiting for answers on it.
struct Channel {
    socket: UdpSocket,
    pending: Mutex<HashMap<u16, Pending>>,
    uses: AtomicU32,
    /// No new queries; the reader stops once `pending` is empty.
    retired: AtomicBool,
    /// Wakes the reader to look at `retired` again.
    wake: Notify,
}

impl Channel {
    fn open(server: SocketAddr) -> std::io::Result<Arc<Self>> {
        use socket2::{Domain, Protocol, Socket, Type};
        let (domain, bind): (Domain, SocketAddr) = if server.is_ipv4() {
            (Domain::IPV4, (Ipv4Addr::UNSPECIFIED, 0).into())
        } else {
            (Domain::IPV6, (Ipv6Addr::UNSPECIFIED, 0).into())
        };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
        // Best effort: the kernel may cap it (net.core.rmem_max).
        let _ = socket.set_recv_buffer_size(RECV_BUFFER);
        socket.set_nonblocking(true)?;
        // Port 0: the kernel picks a random ephemeral port (RFC 6056 §3.3).
        socket.bind(&bind.into())?;
        socket.connect(&server.into())?;
        let socket = UdpSocket::from_std(socket.into())?;
        let channel = Arc::new(Channel {
            socket,
            pending: Mutex::new(HashMap::new()),
            uses: AtomicU32::new(0),
            retired: AtomicBool::new(false),
            wake: Notify::new(),
        });
        tokio::spawn(read_answers(channel.clone()));
        Ok(channel)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u16, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a query under a random ID not in use on this socket.
    fn register(&self, question: Question, reply: Reply) -> u16 {
        let mut pending = self.pending();
        let id = loop {
            let id: u16 = rand::random();
            if !pending.contains_key(&id) {
                break id;
            }
        };
        pending.insert(id, Pending { question, reply });
        id
    }

    /// Gives up on `id` (timed out, or the send failed).
    fn forget(&self, id: u16) {
        let empty = {
            let mut pending = self.pending();
            pending.remove(&id);
            pending.is_empty()
        };
        if empty && self.retired.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    fn retire(&self) {
        self.retired.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Hands a datagram to the query it answers, if any.
    fn deliver(&self, datagram: &[u8]) {
        // QR=1: a response (RFC 1035 §4.1.1).
        if datagram.len() < 12 || datagram[2] & 0x80 == 0 {
            return;
        }
        let id = u16::from_be_bytes([datagram[0], datagram[1]]);
        let waiter = {
            let mut pending = self.pending();
            match pending.get(&id) {
                Some(p) if p.question.is_answered_by(datagram) => pending.remove(&id),
                _ => None,
            }
        };
        let Some(waiter) = waiter else {
            tracing::debug!(id, "ignoring a datagram that answers no pending query");
            return;
        };
        let answer = Message::from_vec(datagram)
            .map_err(|e| Failure::Error(format!("undecodable answer: {e}")));
        let _ = waiter.reply.send(answer);
    }

    /// Fails every waiting query (the socket itself failed).
    fn fail_all(&self, why: &str) {
        let drained: Vec<Pending> = self.pending().drain().map(|(_, p)| p).collect();
        for p in drained {
            let _ = p.reply.send(Err(Failure::Error(why.to_string())));
        }
    }
}

/// The reader of one socket: until it is retired and no query waits.
async fn read_answers(channel: Arc<Channel>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        if channel.retired.load(Ordering::Acquire) && channel.pending().is_empty() {
            return;
        }
        tokio::select! {
            biased;
            received = channel.socket.recv(&mut buf) => match received {
                Ok(n) => channel.deliver(&buf[..n]),
                // ICMP port unreachable on a connected socket (Linux reports
                // it on the next receive): nothing listens at the server.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    channel.fail_all(&e.to_string());
                }
                Err(e) => tracing::debug!(error = %e, "DNS socket receive error"),
            },
            () = channel.wake.notified() => {}
        }
    }
}

/// The UDP sockets for one name server.
struct UdpPool {
    server: SocketAddr,
    slots: Vec<Mutex<Option<Arc<Channel>>>>,
}

impl UdpPool {
    fn new(server: SocketAddr) -> Self {
        UdpPool {
            server,
            slots: (0..SOCKETS_PER_SERVER).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// A socket picked at random, opened (or replaced) on demand.
    fn channel(&self) -> std::io::Result<Arc<Channel>> {
        let slot = &self.slots[rand::random_range(0..self.slots.len())];
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(channel) = slot.as_ref() {
            if channel.uses.fetch_add(1, Ordering::Relaxed) < USES_PER_SOCKET {
                return Ok(channel.clone());
            }
            channel.retire();
        }
        let channel = Channel::open(self.server)?;
        channel.uses.store(1, Ordering::Relaxed);
        *slot = Some(channel.clone());
        Ok(channel)
    }
}

impl Drop for UdpPool {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(channel) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                channel.retire();
            }
        }
    }
}

/// The name servers' sockets.
pub struct Transport {
    pools: Vec<UdpPool>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let servers: Vec<SocketAddr> = self.pools.iter().map(|p| p.server).collect();
        f.debug_struct("Transport")
            .field("servers", &servers)
            .finish()
    }
}

impl Transport {
    /// Sockets for `servers` (opened on first use).
    pub fn new(servers: &[SocketAddr]) -> Self {
        Transport {
            pools: servers.iter().map(|s| UdpPool::new(*s)).collect(),
        }
    }

    /// The servers, in order.
    pub fn servers(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.pools.iter().map(|p| p.server)
    }

    /// One try of `question` with server number `server`: over UDP, then
    /// over TCP when the answer is truncated (RFC 7766 §5), within `timeout`.
    pub async fn exchange(
        &self,
        server: usize,
        question: &Question,
        flags: QueryFlags,
        timeout: Duration,
    ) -> Result<Message, Failure> {
        let pool = &self.pools[server];
        let answer = tokio::time::timeout(timeout, async {
            let answer = udp_exchange(pool, question, flags).await?;
            if !answer.metadata.truncation {
                return Ok(answer);
            }
            tcp_exchange(pool.server, question, flags).await
        })
        .await;
        answer.unwrap_or(Err(Failure::Timeout))
    }
}

/// Removes a query from its socket if its future is dropped before the
/// answer came (timeout, or the audit's deadline).
struct Registration {
    channel: Arc<Channel>,
    id: u16,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.channel.forget(self.id);
    }
}

async fn udp_exchange(
    pool: &UdpPool,
    question: &Question,
    flags: QueryFlags,
) -> Result<Message, Failure> {
    let channel = pool
        .channel()
        .map_err(|e| Failure::Error(format!("cannot open a UDP socket: {e}")))?;
    let (reply, answer) = oneshot::channel();
    let id = channel.register(question.clone(), reply);
    let registration = Registration { channel, id };
    let message = encode_query(id, question, flags);
    registration
        .channel
        .socket
        .send(&message)
        .await
        .map_err(|e| Failure::Error(e.to_string()))?;
    let answer = answer
        .await
        .unwrap_or_else(|_| Err(Failure::Error("the DNS socket closed".to_string())));
    drop(registration);
    answer
}

/// One exchange over a new TCP connection: a two-octet length before each
/// message (RFC 1035 §4.2.2), a fresh random ID.
async fn tcp_exchange(
    server: SocketAddr,
    question: &Question,
    flags: QueryFlags,
) -> Result<Message, Failure> {
    let io = |e: std::io::Error| Failure::Error(e.to_string());
    let id: u16 = rand::random();
    let message = encode_query(id, question, flags);
    let mut stream = tokio::net::TcpStream::connect(server).await.map_err(io)?;
    let length = u16::try_from(message.len()).map_err(|e| Failure::Error(e.to_string()))?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(&message);
    stream.write_all(&framed).await.map_err(io)?;
    let length = stream.read_u16().await.map_err(io)?;
    let mut buf = vec![0u8; usize::from(length)];
    stream.read_exact(&mut buf).await.map_err(io)?;
    if buf.len() < 12
        || u16::from_be_bytes([buf[0], buf[1]]) != id
        || !question.is_answered_by(&buf)
    {
        return Err(Failure::Error(
            "the TCP answer does not answer the question".to_string(),
        ));
    }
    let answer =
        Message::from_vec(&buf).map_err(|e| Failure::Error(format!("undecodable answer: {e}")))?;
    if answer.metadata.truncation {
        return Err(Failure::Error("truncated answer over TCP".to_string()));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::{Name, RecordType};

    #[test]
    fn queries_decode_as_what_we_meant() {
        let name = crate::resolver::query_name("_dmarc.Example.COM").unwrap();
        for dnssec in [false, true] {
            let q = Question::new(&name, RecordType::TXT);
            let bytes = encode_query(0xbeef, &q, QueryFlags { dnssec });
            let m = Message::from_vec(&bytes).unwrap();
            assert_eq!(m.metadata.id, 0xbeef);
            assert!(m.metadata.recursion_desired);
            assert_eq!(m.metadata.authentic_data, dnssec);
            assert_eq!(m.queries.len(), 1);
            assert_eq!(m.queries[0].name(), &name);
            assert_eq!(m.queries[0].query_type(), RecordType::TXT);
            let edns = m.edns.as_ref().expect("EDNS");
            assert_eq!(edns.max_payload(), EDNS_PAYLOAD);
            assert_eq!(edns.flags().dnssec_ok, dnssec);
        }
    }

    #[test]
    fn an_answer_must_carry_the_same_question() {
        let name = crate::resolver::query_name("a.example").unwrap();
        let q = Question::new(&name, RecordType::A);
        let mut answer = encode_query(7, &q, QueryFlags::default());
        answer[2] |= 0x80;
        assert!(q.is_answered_by(&answer));
        // Case differs: still the question (RFC 4343 §3).
        let upper = Question::new(&Name::from_ascii("A.EXAMPLE.").unwrap(), RecordType::A);
        assert!(upper.is_answered_by(&answer));
        for other in [
            Question::new(&name, RecordType::AAAA),
            Question::new(&Name::from_ascii("b.example.").unwrap(), RecordType::A),
            Question::new(&Name::from_ascii("a.example.org.").unwrap(), RecordType::A),
        ] {
            assert!(!other.is_answered_by(&answer), "{other:?}");
        }
        assert!(!q.is_answered_by(&answer[..14]), "cut short");
        let mut two = answer.clone();
        two[5] = 2;
        assert!(!q.is_answered_by(&two), "QDCOUNT 2");
    }
}
