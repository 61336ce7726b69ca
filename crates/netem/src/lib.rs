//! A TCP proxy that behaves like the link an inspector's tablet has: limited bandwidth up
//! (shared by every connection, as a device's uplink is), a propagation delay each way,
//! and connections that break — at random, or once at a chosen byte. Tests use it to cut
//! an upload in the middle; the backlog-drain benchmark uses it as a 1 Mbit/s, 200 ms link.
//!
//! The link model per direction: a chunk read from the sender leaves the link when the
//! link is free (`bytes / rate` after the previous chunk) and arrives `delay` later. A
//! small queue between the two gives the sender back-pressure, like a modem's buffer.
//! Bytes are counted when delivered.

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the link behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Uplink (client → server) in bytes per second; `None` is unlimited.
    pub up_rate: Option<u64>,
    /// Downlink (server → client) in bytes per second; `None` is unlimited.
    pub down_rate: Option<u64>,
    /// One-way delay; the round trip is twice this.
    pub delay: Duration,
    /// The chance that a connection breaks, at a random point, in each `cut_within` bytes it
    /// carries up (a long-lived connection carrying many requests meets as many chances as
    /// a fresh connection per request would).
    pub cut_fraction: f64,
    pub cut_within: u64,
    /// Break the connection that carries this byte number (counted over all connections,
    /// client → server), once.
    pub cut_once_at: Option<u64>,
}

impl Profile {
    /// A perfect link: no limit, no delay, no cuts.
    #[must_use]
    pub fn clear() -> Self {
        Self {
            up_rate: None,
            down_rate: None,
            delay: Duration::ZERO,
            cut_fraction: 0.0,
            cut_within: 0,
            cut_once_at: None,
        }
    }

    /// A link of `mbit` megabits per second up, `rtt` round trip, where a connection breaks
    /// with chance `cut_fraction` in every `cut_within` bytes it carries up.
    #[must_use]
    pub fn mobile(mbit: f64, rtt: Duration, cut_fraction: f64, cut_within: u64) -> Self {
        Self {
            up_rate: Some(mbits_to_bytes(mbit)),
            down_rate: Some(mbits_to_bytes(mbit * 4.0)),
            delay: rtt / 2,
            cut_fraction,
            cut_within,
            cut_once_at: None,
        }
    }
}

/// Megabits per second in bytes per second.
#[must_use]
pub fn mbits_to_bytes(mbit: f64) -> u64 {
    (mbit * 1_000_000.0 / 8.0) as u64
}

/// What went through.
#[derive(Debug, Default)]
pub struct Stats {
    /// Bytes delivered to the server.
    pub up_bytes: AtomicU64,
    /// Bytes delivered to the client.
    pub down_bytes: AtomicU64,
    pub connections: AtomicU64,
    pub cuts: AtomicU64,
    /// Bytes read from clients (the count `cut_once_at` refers to).
    read_up: AtomicU64,
    cut_once_done: AtomicBool,
}

/// One direction of the link, shared by every connection.
#[derive(Debug)]
struct Link {
    rate: Option<u64>,
    delay: Duration,
    free_at: Mutex<Instant>,
}

impl Link {
    fn new(rate: Option<u64>, delay: Duration) -> Self {
        Self {
            rate,
            delay,
            free_at: Mutex::new(Instant::now()),
        }
    }

    /// When `n` bytes offered now arrive at the far end.
    fn schedule(&self, n: usize) -> Instant {
        let now = Instant::now();
        let departs = match self.rate {
            None => now,
            Some(rate) => {
                let mut free = self
                    .free_at
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let start = (*free).max(now);
                *free = start + Duration::from_secs_f64(n as f64 / rate.max(1) as f64);
                *free
            }
        };
        departs + self.delay
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, profile: Profile) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let up = Arc::new(Link::new(profile.up_rate, profile.delay));
        let down = Arc::new(Link::new(profile.down_rate, profile.delay));
        let st = Arc::clone(&stats);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                st.connections.fetch_add(1, Ordering::Relaxed);
                let cut_after = random_cut(profile.cut_fraction, profile.cut_within);
                tokio::spawn(connection(
                    client,
                    server,
                    Arc::clone(&up),
                    Arc::clone(&down),
                    Arc::clone(&st),
                    cut_after,
                    profile.cut_once_at,
                ));
            }
        });
        Ok(Self { addr, stats, task })
    }

    /// Where clients connect.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` and the address.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    #[must_use]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// Where a connection will break: in each window of `within` bytes it breaks with chance
/// `fraction`, at a uniformly random point of that window. `None`: never.
fn random_cut(fraction: f64, within: u64) -> Option<u64> {
    if fraction <= 0.0 || within == 0 {
        return None;
    }
    let mut rng = rand::rng();
    // Windows survived before the one that breaks: geometric; give up after a long run.
    for window in 0..1_000_000u64 {
        if rng.random_bool(fraction.clamp(0.0, 1.0)) {
            return Some(window * within + rng.random_range(0..within));
        }
    }
    None
}

/// Why a direction stopped.
enum End {
    Closed,
    Cut,
}

async fn connection(
    client: TcpStream,
    server: TcpStream,
    up: Arc<Link>,
    down: Arc<Link>,
    stats: Arc<Stats>,
    cut_after: Option<u64>,
    cut_once_at: Option<u64>,
) {
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let upward = tokio::spawn(pump(
        cr,
        sw,
        up,
        Arc::clone(&stats),
        true,
        cut_after,
        cut_once_at,
    ));
    let downward = tokio::spawn(pump(sr, cw, down, Arc::clone(&stats), false, None, None));
    let (mut upward, mut downward) = (upward, downward);
    // When either side is cut, both go (the halves drop, closing the sockets).
    tokio::select! {
        r = &mut upward => {
            if matches!(r, Ok(End::Cut)) { downward.abort(); } else { let _ = downward.await; }
        }
        r = &mut downward => {
            if matches!(r, Ok(End::Cut)) { upward.abort(); } else { let _ = upward.await; }
        }
    }
}

/// Moves bytes one way through a link until the source closes or the cut comes.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Arc<Link>,
    stats: Arc<Stats>,
    upward: bool,
    cut_after: Option<u64>,
    cut_once_at: Option<u64>,
) -> End {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(16);
    let counter = Arc::clone(&stats);
    let writer = tokio::spawn(async move {
        while let Some((at, bytes)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
            let n = bytes.len() as u64;
            if upward {
                counter.up_bytes.fetch_add(n, Ordering::Relaxed);
            } else {
                counter.down_bytes.fetch_add(n, Ordering::Relaxed);
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; 4096];
    let mut sent: u64 = 0;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut keep = n;
        let mut cut = false;
        if let Some(limit) = cut_after
            && sent + n as u64 > limit
        {
            keep = usize::try_from(limit - sent).unwrap_or(0);
            cut = true;
        }
        if upward && let Some(at) = cut_once_at {
            let before = stats.read_up.fetch_add(n as u64, Ordering::SeqCst);
            if before + n as u64 > at && !stats.cut_once_done.swap(true, Ordering::SeqCst) {
                keep = keep.min(usize::try_from(at.saturating_sub(before)).unwrap_or(0));
                cut = true;
            }
        }
        sent += keep as u64;
        if keep > 0
            && tx
                .send((link.schedule(keep), buf[..keep].to_vec()))
                .await
                .is_err()
        {
            break;
        }
        if cut {
            stats.cuts.fetch_add(1, Ordering::Relaxed);
            // Let what got through before the cut arrive, then drop the connection.
            drop(tx);
            let _ = writer.await;
            return End::Cut;
        }
    }
    drop(tx);
    let _ = writer.await;
    End::Closed
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.into_split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn bandwidth_and_delay_shape_the_transfer() {
        let echo = echo_server().await;
        let mut p = Profile::clear();
        p.up_rate = Some(200_000);
        p.delay = Duration::from_millis(50);
        let proxy = Proxy::start(echo, p).await.expect("proxy");
        let mut s = TcpStream::connect(proxy.addr()).await.expect("connect");
        let data = vec![7u8; 100_000];
        let started = std::time::Instant::now();
        s.write_all(&data).await.expect("write");
        let mut back = vec![0u8; data.len()];
        s.read_exact(&mut back).await.expect("read");
        let took = started.elapsed();
        assert_eq!(back, data);
        // 100 kB at 200 kB/s is 0.5 s, plus a 100 ms round trip; never faster than that.
        assert!(took >= Duration::from_millis(590), "{took:?}");
        assert_eq!(proxy.stats().up_bytes.load(Ordering::Relaxed), 100_000);
    }

    #[test]
    fn random_cuts_come_at_the_stated_rate() {
        let n = 20_000;
        let cuts: Vec<u64> = (0..n).filter_map(|_| random_cut(0.02, 1000)).collect();
        assert_eq!(cuts.len(), n, "every connection breaks eventually");
        let first_window = cuts.iter().filter(|&&c| c < 1000).count() as f64 / n as f64;
        assert!((0.01..0.03).contains(&first_window), "{first_window}");
        let mean = cuts.iter().sum::<u64>() as f64 / n as f64;
        // Geometric: about 1 / 0.02 windows of 1000 bytes.
        assert!((40_000.0..60_000.0).contains(&mean), "{mean}");
        assert_eq!(random_cut(0.0, 1000), None);
    }

    #[tokio::test]
    async fn a_cut_drops_the_connection_at_the_chosen_byte() {
        let echo = echo_server().await;
        let mut p = Profile::clear();
        p.cut_once_at = Some(10_000);
        let proxy = Proxy::start(echo, p).await.expect("proxy");
        let mut s = TcpStream::connect(proxy.addr()).await.expect("connect");
        let _ = s.write_all(&[1u8; 30_000]).await;
        let mut back = Vec::new();
        let _ = s.read_to_end(&mut back).await;
        assert!(back.len() <= 10_000, "the connection ends at the cut");
        assert_eq!(proxy.stats().cuts.load(Ordering::Relaxed), 1);
        assert_eq!(
            proxy.stats().up_bytes.load(Ordering::Relaxed),
            10_000,
            "the server got exactly the bytes before the cut"
        );
        // The next connection is not cut.
        let mut s = TcpStream::connect(proxy.addr()).await.expect("connect");
        s.write_all(&[2u8; 100]).await.expect("write");
        let mut back = [0u8; 100];
        s.read_exact(&mut back).await.expect("read");
    }
}
