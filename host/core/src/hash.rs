//! A small stable hash for ids, seeds and experiment arms.

/// FNV-1a (64-bit) over `parts`, each followed by a NUL separator.
///
/// Stable across platforms and releases, which notice ids (outbox file
/// names), decision seeds and experiment-arm assignments rely on. Not for
/// anything an attacker must not be able to predict.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_keep_parts_apart() {
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_hash(&["acme", "1"]), stable_hash(&["acme", "1"]));
    }
}
