//! Key-based request authentication: a pre-shared key, and on every request an HMAC-SHA256
//! over a timestamp, a nonce and the body. Embedded nodes cannot manage certificates; they can
//! keep a key.
//!
//! The three values travel as one line, `"<unix ms> <nonce> <hex mac>"`: in the `NMP-Auth`
//! header of an HTTP request, or as the first line of a WebSocket text frame. The MAC covers
//! `"<unix ms>\n<nonce>\n"` followed by the body's bytes.
//!
//! ```
//! use vnet_hw::nmp::auth::{Key, Verifier};
//! let key = Key::new(b"a shared secret, 16+ bytes".to_vec()).unwrap();
//! let line = key.sign_now(br#"{"jsonrpc":"2.0","id":1,"method":"node.info"}"#);
//! let mut v = Verifier::new(key);
//! assert!(v.verify(&line, br#"{"jsonrpc":"2.0","id":1,"method":"node.info"}"#).is_ok());
//! // The same line again is a replay.
//! assert!(v.verify(&line, br#"{"jsonrpc":"2.0","id":1,"method":"node.info"}"#).is_err());
//! ```

use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The name of the HTTP header that carries the auth line.
pub const HEADER: &str = "NMP-Auth";

/// How far a request's timestamp may be from the daemon's clock, either way (ms).
pub const WINDOW_MS: u64 = 30_000;

/// Nonces remembered at most. When the memory is full the oldest are forgotten, and from then
/// on a request must be newer than the newest one forgotten (see [`Verifier`]).
pub const MAX_NONCES: usize = 65_536;

/// A pre-shared key (at least 16 bytes).
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The key is shorter than 16 bytes.
    #[error("a key must have at least 16 bytes")]
    ShortKey,
    /// No auth line.
    #[error(
        "request is not signed: the {HEADER} header (HTTP) or first line (WebSocket) is missing"
    )]
    Missing,
    /// Not `"<ms> <nonce> <hex mac>"`.
    #[error("malformed auth line: {0}")]
    Malformed(&'static str),
    /// The timestamp is outside the window.
    #[error("stale timestamp: {off_ms} ms from the node's clock (the window is ±{WINDOW_MS} ms)")]
    Stale {
        /// How far off, signed.
        off_ms: i64,
    },
    /// The nonce was seen within the window.
    #[error("replayed nonce")]
    Replayed,
    /// The MAC does not match: a wrong key, or a changed body.
    #[error("bad signature (wrong key, or the body was changed)")]
    BadMac,
    /// Under a flood of requests the nonce memory forgot requests this old: a replay of
    /// them could not be told apart, so nothing that old is taken any more.
    #[error(
        "stale timestamp under load: {behind_ms} ms older than the newest request the node's replay memory had to forget (sign requests when sending them)"
    )]
    Forgotten {
        /// How far the request's timestamp is behind the forgotten one.
        behind_ms: u64,
    },
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Key {
    /// A key from its bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Key, AuthError> {
        if bytes.len() < 16 {
            return Err(AuthError::ShortKey);
        }
        Ok(Key(bytes))
    }

    /// The key in file `path`: its bytes, surrounding whitespace ignored.
    pub fn from_file(path: &std::path::Path) -> Result<Key, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("reading key file {}: {e}", path.display()))?;
        let trimmed = String::from_utf8_lossy(&bytes).trim().as_bytes().to_vec();
        Key::new(trimmed).map_err(|e| format!("key file {}: {e}", path.display()))
    }

    fn mac(&self, ts: u64, nonce: &str, body: &[u8]) -> HmacSha256 {
        // Any key length is valid for HMAC.
        let mut m =
            <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(format!("{ts}\n{nonce}\n").as_bytes());
        m.update(body);
        m
    }

    /// The auth line for `body` at `ts` (unix ms) with `nonce` (1–64 characters of `[A-Za-z0-9_-]`).
    pub fn sign(&self, ts: u64, nonce: &str, body: &[u8]) -> String {
        let tag = self.mac(ts, nonce, body).finalize().into_bytes();
        format!("{ts} {nonce} {}", hex::encode(tag))
    }

    /// The auth line for `body` now, with a fresh random nonce.
    pub fn sign_now(&self, body: &[u8]) -> String {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        self.sign(now_ms(), &nonce, body)
    }
}

/// Checks auth lines: the MAC, the timestamp window, and that no nonce is used twice.
///
/// It remembers each accepted request as (timestamp, hash of the nonce) — a replay carries the
/// same timestamp, since the MAC covers it — for as long as the timestamp is within the
/// window, and at most [`MAX_NONCES`] of them. When a flood fills that memory, the oldest are
/// forgotten and the newest forgotten timestamp becomes a floor: requests no newer than it are
/// refused ([`AuthError::Forgotten`]). Memory stays bounded (16 bytes an entry), and honest
/// clients, which sign as they send, stay above the floor: a flood narrows the window, it does
/// not lock anyone out.
#[derive(Debug)]
pub struct Verifier {
    key: Key,
    /// (timestamp, nonce hash) of the requests accepted within the window, oldest first.
    seen: BTreeSet<(u64, u64)>,
    /// The newest timestamp forgotten while still inside the window (0: none).
    floor: u64,
    /// Keys the nonce hash (random per verifier, so nonces cannot be chosen to collide).
    hasher: std::hash::RandomState,
}

impl Verifier {
    /// A verifier for `key`.
    pub fn new(key: Key) -> Self {
        Verifier {
            key,
            seen: BTreeSet::new(),
            floor: 0,
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Checks `line` against `body` now.
    pub fn verify(&mut self, line: &str, body: &[u8]) -> Result<(), AuthError> {
        self.verify_at(now_ms(), line, body)
    }

    /// Checks `line` against `body` as if the clock read `now` (unix ms).
    pub fn verify_at(&mut self, now: u64, line: &str, body: &[u8]) -> Result<(), AuthError> {
        let mut parts = line.trim().split(' ');
        let (Some(ts), Some(nonce), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed(
                "expected \"<unix ms> <nonce> <hex mac>\"",
            ));
        };
        let ts: u64 = ts
            .parse()
            .map_err(|_| AuthError::Malformed("the timestamp is not an integer"))?;
        if nonce.is_empty()
            || nonce.len() > 64
            || !nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AuthError::Malformed(
                "the nonce must be 1-64 characters of [A-Za-z0-9_-]",
            ));
        }
        let tag = hex::decode(mac).map_err(|_| AuthError::Malformed("the MAC is not hex"))?;
        // The MAC first: an unsigned request learns nothing about the window or the nonces.
        self.key
            .mac(ts, nonce, body)
            .verify_slice(&tag)
            .map_err(|_| AuthError::BadMac)?;
        let off = ts as i64 - now as i64;
        if off.unsigned_abs() > WINDOW_MS {
            return Err(AuthError::Stale { off_ms: off });
        }
        self.forget_before(now.saturating_sub(WINDOW_MS));
        if ts <= self.floor {
            return Err(AuthError::Forgotten {
                behind_ms: self.floor - ts,
            });
        }
        let entry = (ts, self.hasher.hash_one(nonce));
        if self.seen.contains(&entry) {
            return Err(AuthError::Replayed);
        }
        while self.seen.len() >= MAX_NONCES {
            if let Some((old, _)) = self.seen.pop_first() {
                self.floor = self.floor.max(old);
            }
        }
        // A request at or below the new floor would be refused next time: refuse it now too.
        if ts <= self.floor {
            return Err(AuthError::Forgotten {
                behind_ms: self.floor - ts,
            });
        }
        self.seen.insert(entry);
        Ok(())
    }

    /// Nonces remembered now.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// Drops nonces whose timestamps are before `t`: a request that old is stale anyway.
    fn forget_before(&mut self, t: u64) {
        while self.seen.first().is_some_and(|(ts, _)| *ts < t) {
            self.seen.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::new(s.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn wrong_key_stale_replayed_and_changed_bodies_are_refused() {
        let k = key("0123456789abcdef");
        let mut v = Verifier::new(k.clone());
        let now = 1_700_000_000_000;
        let line = k.sign(now, "n1", b"body");
        assert_eq!(v.verify_at(now, &line, b"body"), Ok(()));
        assert_eq!(v.verify_at(now, &line, b"body"), Err(AuthError::Replayed));
        assert_eq!(
            v.verify_at(now, &k.sign(now, "n2", b"body"), b"bodY"),
            Err(AuthError::BadMac)
        );
        let other = key("fedcba9876543210");
        assert_eq!(
            v.verify_at(now, &other.sign(now, "n3", b"body"), b"body"),
            Err(AuthError::BadMac)
        );
        assert_eq!(
            v.verify_at(now, &k.sign(now - 31_000, "n4", b"body"), b"body"),
            Err(AuthError::Stale { off_ms: -31_000 })
        );
        assert_eq!(
            v.verify_at(now, &k.sign(now + 31_000, "n5", b"body"), b"body"),
            Err(AuthError::Stale { off_ms: 31_000 })
        );
        // Within the window either way is fine.
        assert_eq!(
            v.verify_at(now, &k.sign(now - 29_000, "n6", b"body"), b"body"),
            Ok(())
        );
        assert!(matches!(
            v.verify_at(now, "1 2", b""),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            v.verify_at(now, &format!("{now} bad/nonce 00"), b""),
            Err(AuthError::Malformed(_))
        ));
        assert_eq!(
            Key::new(b"short".to_vec()).unwrap_err(),
            AuthError::ShortKey
        );
    }

    #[test]
    fn nonces_are_forgotten_once_out_of_the_window() {
        let k = key("0123456789abcdef");
        let mut v = Verifier::new(k.clone());
        let t0 = 1_700_000_000_000;
        for i in 0..100 {
            v.verify_at(t0, &k.sign(t0, &format!("n{i}"), b""), b"")
                .unwrap();
        }
        assert_eq!(v.remembered(), 100);
        let later = t0 + WINDOW_MS + 1;
        v.verify_at(later, &k.sign(later, "fresh", b""), b"")
            .unwrap();
        assert_eq!(v.remembered(), 1);
    }

    #[test]
    fn a_flood_narrows_the_window_but_locks_no_fresh_request_out() {
        let k = key("0123456789abcdef");
        let mut v = Verifier::new(k.clone());
        let t0 = 1_700_000_000_000u64;
        // Three times the memory, within one second (a flood well over 65 536 per 30 s).
        let mut accepted = Vec::new();
        for i in 0..3 * MAX_NONCES as u64 {
            let t = t0 + i / 200;
            let line = k.sign(t, &format!("n{i}"), b"");
            v.verify_at(t, &line, b"").unwrap();
            accepted.push((t, line));
        }
        assert_eq!(v.remembered(), MAX_NONCES);
        let now = t0 + 3 * MAX_NONCES as u64 / 200;
        // A fresh request from an honest client still goes through...
        v.verify_at(now, &k.sign(now, "honest", b""), b"").unwrap();
        // ...and no accepted request can be replayed: remembered ones are replays, forgotten
        // ones are below the floor.
        for (t, line) in accepted.iter().step_by(97) {
            let e = v.verify_at(now, line, b"").unwrap_err();
            assert!(
                matches!(e, AuthError::Replayed | AuthError::Forgotten { .. }),
                "{t}: {e:?}"
            );
        }
        // A request signed well before the floor is refused and says why.
        let old = t0 + 10;
        let e = v
            .verify_at(now, &k.sign(old, "late", b""), b"")
            .unwrap_err();
        assert!(e.to_string().contains("stale timestamp under load"), "{e}");
    }
}
