//! A hostile test guest that passes the host's dry runs, then misbehaves in
//! the way its tenant configuration names.
//!
//! On the fixture contexts of an upload (configuration `{}`) it decides
//! politely, so it can be installed like any plugin. With
//! `{"misbehave": MODE, ...}` it does one hostile thing per call; `count`
//! (a whole number) sizes the attack where a mode needs a size:
//!
//! | mode | what the plugin does |
//! | --- | --- |
//! | `panic` | panics, which aborts the guest with a trap |
//! | `recurse` | recurses `count` deep (default 10 million): a stack overflow |
//! | `grow-memory` | asks `memory.grow` for `count` pages (default 65,535: 4 GiB) |
//! | `long-segment` | a segment of `count` bytes |
//! | `long-step` | a notice whose step is `count` bytes |
//! | `long-field-value` | a notice with one field of `count` bytes |
//! | `many-fields` | a notice with `count` template fields |
//! | `bad-label` | a segment with a newline and non-ASCII letters in it |
//! | `send-in-past` | a notice `count` seconds before now (default 2 days) |
//! | `send-ahead` | a notice `count` seconds after now (default 5 years) |
//! | `wait-ahead` | waits until `count` seconds after now (default 5 years) |
//! | `channel` | a notice on `channel`, with an optional `fallback` channel |
//! | `template` | a notice naming the template `template` (the host refuses a name the tenant lacks) |
//! | `burn` | `count` rounds of arithmetic: fuel-heavy but finite |
//! | `peek` | reads environment, arguments, clocks and randomness; reports them |
//! | `log-flood` | `count` host log lines of 1 KiB |
//! | `print-flood` | `count` lines of 1 KiB on stdout |
//! | `error-flood` | a policy error whose message is `count` bytes |
//! | `canary-write` | fills `count` blocks of 64 KiB (default 128) with a canary, never freed |
//! | `canary-scan` | grows memory by `count` pages (default 160), scans all of it for the canary |
//!
//! `peek` and `canary-scan` report what they saw as JSON in a `stop` reason.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use nudge_sdk::serde_json::json;
use nudge_sdk::{Channel, Config, Context, Decision, Level, Notify, Policy, PolicyError, PolicyInfo, Tone, log};

/// First word of every canary block: the bytes `NUDGECAN` read as a little-endian `u64`.
pub const CANARY_MAGIC: u64 = u64::from_le_bytes(*b"NUDGECAN");

/// Words (8 bytes each) in one canary block of 64 KiB.
pub const CANARY_WORDS: usize = (64 << 10) / 8;

/// Odd, so multiplying by it is invertible modulo 2^64.
const CANARY_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// Word `k` of a canary block: the magic word, then a pattern computed from
/// `k`. A scanner recognises any pattern word on its own by inverting it
/// ([`canary_index`]), so a block is found even where an allocator has
/// since written over its start.
pub fn canary_word(k: usize) -> u64 {
    if k == 0 { CANARY_MAGIC } else { (k as u64).wrapping_mul(CANARY_MULTIPLIER) ^ CANARY_MAGIC }
}

/// The inverse of [`CANARY_MULTIPLIER`] modulo 2^64.
const CANARY_INVERSE: u64 = {
    // Newton's iteration doubles the number of correct low bits each round.
    let mut inverse = CANARY_MULTIPLIER;
    let mut round = 0;
    while round < 6 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(CANARY_MULTIPLIER.wrapping_mul(inverse)));
        round += 1;
    }
    inverse
};

/// `Some(k)` if `word` is pattern word `k` (1 ≤ k < [`CANARY_WORDS`]) of a canary block.
pub fn canary_index(word: u64) -> Option<usize> {
    let k = (word ^ CANARY_MAGIC).wrapping_mul(CANARY_INVERSE);
    (1..CANARY_WORDS as u64).contains(&k).then_some(k as usize)
}

/// A policy that behaves until its configuration tells it otherwise.
pub struct Hostile;

impl Policy for Hostile {
    fn describe() -> PolicyInfo {
        PolicyInfo::new("hostile", "0.1.0")
    }

    fn decide(ctx: &Context) -> Result<Decision, PolicyError> {
        let config = Config::from_context(ctx)?;
        let mode = config.string("misbehave", "")?;
        let count = |default: i64| config.int_in("count", default, 0..=i64::MAX);
        let day = 24 * 3600;
        let year = 365 * day;
        match mode.as_str() {
            "" => Ok(Decision::stop("hostile", "asleep")),
            "panic" => panic!("nudge-guest-hostile: deliberate panic deciding invoice {}", ctx.invoice.id),
            "recurse" => Ok(Decision::stop("hostile", depth(black_box(count(10_000_000)? as u64)).to_string())),
            "grow-memory" => grow_memory(count(65_535)?),
            "long-segment" => Ok(Decision::stop("s".repeat(count(1 << 20)? as usize), "a long segment")),
            "long-step" => Ok(Decision::notify("hostile", notice(ctx, "s".repeat(count(1 << 10)? as usize)))),
            "long-field-value" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.fields.push(("note".into(), "v".repeat(count(4 << 10)? as usize)));
                Ok(Decision::notify("hostile", notice))
            }
            "many-fields" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.fields = (0..count(1_000)?).map(|i| (format!("f{i}"), "v".to_string())).collect();
                Ok(Decision::notify("hostile", notice))
            }
            "bad-label" => Ok(Decision::stop("late\npayer-ü", "a segment the host cannot store")),
            "send-in-past" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.send_at = ctx.now - count(2 * day)?;
                Ok(Decision::notify("hostile", notice))
            }
            "send-ahead" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.send_at = ctx.now.saturating_add(count(5 * year)?);
                Ok(Decision::notify("hostile", notice))
            }
            "wait-ahead" => Ok(Decision::wait("hostile", ctx.now.saturating_add(count(5 * year)?))),
            "channel" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.channel = channel(&config.string("channel", "email")?)?;
                let fallback = config.string("fallback", "")?;
                if !fallback.is_empty() {
                    notice.fallbacks.push(channel(&fallback)?);
                }
                Ok(Decision::notify("hostile", notice))
            }
            "template" => {
                let mut notice = notice(ctx, "overdue-1".into());
                notice.template = config.string("template", "")?;
                Ok(Decision::notify("hostile", notice))
            }
            "burn" => Ok(Decision::stop("hostile", burn(count(1_000_000)? as u64).to_string())),
            "peek" => Ok(Decision::stop("hostile", peek().to_string())),
            // Sleeps an hour (`count` seconds), or forever an hour at a time.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(count(3600)? as u64));
                Ok(Decision::stop("hostile", "slept"))
            }
            "sleep-forever" => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            "log-flood" => {
                let line = "l".repeat(1 << 10);
                for _ in 0..count(1_000)? {
                    log(Level::Info, &line);
                }
                Ok(Decision::stop("hostile", "logged a lot"))
            }
            "print-flood" => {
                let line = "p".repeat(1 << 10);
                for _ in 0..count(1_000)? {
                    println!("{line}");
                }
                Ok(Decision::stop("hostile", "printed a lot"))
            }
            "error-flood" => Err(PolicyError::new("flood", "e".repeat(count(1 << 20)? as usize))),
            "canary-write" => {
                let blocks = write_canaries(count(128)? as usize);
                let written = blocks.len();
                // Never freed: the canaries stay intact in this instance's memory.
                std::mem::forget(blocks);
                Ok(Decision::stop("canary-written", format!("{written} blocks")))
            }
            "canary-scan" => Ok(Decision::stop("canary-scanned", scan_for_canaries(count(160)? as usize)?.to_string())),
            other => Err(PolicyError::bad_config(format!("unknown `misbehave` mode {other:?}"))),
        }
    }
}

nudge_sdk::export_policy!(Hostile);

/// A friendly email notice for `step`, due now.
fn notice(ctx: &Context, step: String) -> Notify {
    Notify::new(step, Channel::Email, Tone::Friendly, ctx.now)
}

fn channel(name: &str) -> Result<Channel, PolicyError> {
    match name {
        "email" => Ok(Channel::Email),
        "sms" => Ok(Channel::Sms),
        "push" => Ok(Channel::Push),
        "webhook" => Ok(Channel::Webhook),
        other => Err(PolicyError::bad_config(format!("unknown channel {other:?}"))),
    }
}

/// Recursion the optimiser cannot turn into a loop: every frame's result
/// goes through `black_box` before the addition.
fn depth(n: u64) -> u64 {
    if n == 0 { 0 } else { black_box(depth(black_box(n - 1))) + 1 }
}

/// Arithmetic the optimiser cannot fold away.
fn burn(rounds: u64) -> u64 {
    let mut acc: u64 = 0;
    for i in 0..rounds {
        acc = black_box(acc ^ i).rotate_left(5);
    }
    acc
}

/// What the sandbox lets a plugin see of the world outside.
fn peek() -> nudge_sdk::serde_json::Value {
    let wall_clock = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    let started = Instant::now();
    black_box(burn(10_000));
    let monotonic_elapsed_ns = started.elapsed().as_nanos() as u64;
    let random = RandomState::new().hash_one(42u64);
    println!("hostile: peeked at the world");
    log(Level::Info, "hostile: peeked at the world");
    json!({
        "env_vars": std::env::vars_os().count(),
        "args": std::env::args_os().count(),
        "home": std::env::var_os("HOME").is_some(),
        "wall_clock": wall_clock,
        "monotonic_elapsed_ns": monotonic_elapsed_ns,
        "random": random.to_string(),
    })
}

#[cfg(target_arch = "wasm32")]
fn grow_memory(pages: i64) -> Result<Decision, PolicyError> {
    let previous = core::arch::wasm32::memory_grow(0, pages as usize);
    Ok(Decision::stop("hostile", format!("memory.grow returned {previous}")))
}

#[cfg(not(target_arch = "wasm32"))]
fn grow_memory(_pages: i64) -> Result<Decision, PolicyError> {
    Err(PolicyError::new("wasm-only", "memory.grow needs a wasm linear memory"))
}

/// `blocks` canary blocks on the heap, 8-byte aligned (they are `u64`s).
fn write_canaries(blocks: usize) -> Vec<Vec<u64>> {
    (0..blocks)
        .map(|_| {
            let block: Vec<u64> = (0..CANARY_WORDS).map(canary_word).collect();
            black_box(block)
        })
        .collect()
}

/// Grows linear memory by `pages`, then reads every aligned word of it,
/// counting canary magic words and canary pattern words.
#[cfg(target_arch = "wasm32")]
fn scan_for_canaries(pages: usize) -> Result<nudge_sdk::serde_json::Value, PolicyError> {
    const PAGE: usize = 64 << 10;
    if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
        return Err(PolicyError::new("no-memory", format!("could not grow memory by {pages} pages")));
    }
    let end = core::arch::wasm32::memory_size(0) * PAGE;
    let (mut magic_words, mut canary_words) = (0u64, 0u64);
    // Address 0 is left out: it is the null pointer, and nothing is allocated there.
    let mut addr = 8;
    while addr + 8 <= end {
        let word = read_word(addr);
        if word == CANARY_MAGIC {
            magic_words += 1;
        } else if canary_index(word).is_some() {
            canary_words += 1;
        }
        addr += 8;
    }
    Ok(json!({ "scanned_bytes": end, "magic_words": magic_words, "canary_words": canary_words }))
}

#[cfg(not(target_arch = "wasm32"))]
fn scan_for_canaries(_pages: usize) -> Result<nudge_sdk::serde_json::Value, PolicyError> {
    Err(PolicyError::new("wasm-only", "scanning needs a wasm linear memory"))
}

/// The word at `addr` of linear memory.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
fn read_word(addr: usize) -> u64 {
    // SAFETY: the caller keeps `addr` 8-aligned, non-zero and below
    // `memory.size`, so the load is in bounds of linear memory and cannot
    // trap; every bit pattern is a valid `u64`. The read is volatile because
    // the point is to see bytes this program never wrote.
    unsafe { core::ptr::read_volatile(core::ptr::with_exposed_provenance::<u64>(addr)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nudge_sdk::testing::ContextBuilder;

    fn decide(config: &str) -> Result<Decision, PolicyError> {
        Hostile::decide(&ContextBuilder::new().config(config).build())
    }

    #[test]
    fn behaves_without_configuration() {
        assert_eq!(decide("{}").unwrap(), Decision::stop("hostile", "asleep"));
    }

    #[test]
    fn sizes_its_attacks_by_count() {
        let Ok(decision) = decide(r#"{"misbehave": "long-segment", "count": 100}"#) else { panic!() };
        assert_eq!(decision.segment.len(), 100);
        assert!(decide(r#"{"misbehave": "nonsense"}"#).unwrap_err().message.contains("nonsense"));
    }

    #[test]
    fn canary_words_are_recognised_alone() {
        let blocks = write_canaries(2);
        assert_eq!(blocks[1][0], CANARY_MAGIC);
        for (k, word) in blocks[1].iter().enumerate().skip(1) {
            assert_eq!(canary_index(*word), Some(k));
        }
        assert_eq!(canary_index(0), None);
        assert_eq!(canary_index(CANARY_MAGIC), None);
        assert_eq!(canary_index(u64::MAX), None);
    }
}
