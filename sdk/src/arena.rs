//! The plugin's memory allocator: a per-call arena, on wasm only.
//!
//! A `decide` call allocates a few dozen small blocks (the host copies every
//! string and list of the context into guest memory through `cabi_realloc`;
//! the policy builds its decision) and frees all of them by the time the
//! call's post-return cleanup has run. A general-purpose allocator spends
//! most of its time on bookkeeping this pattern never needs. The arena hands
//! out blocks by bumping an offset into a fixed static region and counts the
//! blocks alive; when the count drops back to zero, the whole region is free
//! again and the offset goes back to the start. In BENCHMARKS.md this took a
//! third of the guest's instructions per call away.
//!
//! Anything that does not fit, or arrives while the region is full, goes to
//! the system allocator (`dlmalloc` from wasi-libc), and so do its frees; a
//! block that stays alive across calls (a cache in a `static`, say) only
//! means later calls use the system allocator until it is freed. Behaviour
//! never depends on which allocator served a block.
//!
//! Plugins with an allocator of their own turn this off with
//! `default-features = false` on the `nudge-sdk` dependency. Native builds
//! (unit tests with `cargo test`) always use the system allocator.

// An allocator is `unsafe` by contract; every block below says why it holds.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};

/// Bytes in the arena: room for the largest context and decision the host
/// allows, with the rest of a call's temporaries.
const ARENA_BYTES: usize = 256 << 10;

/// A bump allocator over a static region that resets when the last of its
/// blocks is freed, backed by the system allocator.
pub struct Arena {
    region: UnsafeCell<[u8; ARENA_BYTES]>,
    /// Offset of the first free byte in `region`.
    next: Cell<usize>,
    /// Blocks handed out from `region` and not yet freed.
    live: Cell<usize>,
}

// SAFETY: a wasm32-wasip2 plugin has one thread (the target has no threads
// and the host disables the threads proposal), so the cells are never
// touched concurrently.
unsafe impl Sync for Arena {}

impl Arena {
    /// An empty arena.
    pub const fn new() -> Self {
        Self { region: UnsafeCell::new([0; ARENA_BYTES]), next: Cell::new(0), live: Cell::new(0) }
    }

    fn start(&self) -> usize {
        self.region.get() as usize
    }

    fn contains(&self, ptr: *mut u8) -> bool {
        let addr = ptr as usize;
        addr >= self.start() && addr < self.start() + ARENA_BYTES
    }

    /// The offset where a block of `layout` would start, if it fits.
    fn fit(&self, layout: Layout) -> Option<usize> {
        let base = self.start();
        let at = (base + self.next.get()).checked_next_multiple_of(layout.align())? - base;
        let end = at.checked_add(layout.size())?;
        (end <= ARENA_BYTES).then_some(at)
    }
}

impl Default for Arena {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks from the region never overlap (the offset only moves past
// handed-out blocks, and goes back to zero only when none is alive), are
// aligned as asked (`fit`), and lie inside the region; everything else is the
// system allocator's, which gets back exactly the blocks it handed out.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.fit(layout) {
            Some(at) => {
                self.next.set(at + layout.size());
                self.live.set(self.live.get() + 1);
                // SAFETY: `at + size <= ARENA_BYTES`, checked by `fit`.
                unsafe { self.region.get().cast::<u8>().add(at) }
            }
            // SAFETY: same contract as ours; `layout` has a non-zero size.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.contains(ptr) {
            // SAFETY: not ours, so the system allocator handed it out.
            return unsafe { System.dealloc(ptr, layout) };
        }
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.next.set(0);
        } else if ptr as usize + layout.size() == self.start() + self.next.get() {
            // The most recent block: its bytes can be handed out again now.
            self.next.set(ptr as usize - self.start());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.contains(ptr) {
            let at = ptr as usize - self.start();
            let is_last = at + layout.size() == self.next.get();
            if is_last && at + new_size <= ARENA_BYTES {
                // Grow or shrink the most recent block where it is.
                self.next.set(at + new_size);
                return ptr;
            }
        }
        // SAFETY: the caller's contract (`layout` describes `ptr`, `new_size`
        // is non-zero and fits `isize` once aligned) is what `Layout` needs.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller of the two sizes
            // and distinct (`ptr` is still alive while `new` is handed out).
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(all(target_arch = "wasm32", feature = "arena-allocator"))]
#[global_allocator]
static ALLOCATOR: Arena = Arena::new();

#[cfg(test)]
mod tests {
    use super::*;

    // Boxed, to keep 256 KiB off the test thread's stack where possible.
    fn arena() -> Box<Arena> {
        Box::new(Arena::new())
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_distinct_and_reused_once_all_are_freed() {
        let arena = arena();
        unsafe {
            let a = arena.alloc(layout(3, 1));
            let b = arena.alloc(layout(16, 8));
            assert!(arena.contains(a) && arena.contains(b));
            assert_eq!(b as usize % 8, 0);
            assert!(b as usize >= a as usize + 3);
            a.write_bytes(0xaa, 3);
            b.write_bytes(0xbb, 16);
            assert_eq!(*a.add(2), 0xaa);
            arena.dealloc(a, layout(3, 1));
            // `b` is still alive: the region is not reset under it.
            let c = arena.alloc(layout(8, 8));
            assert!(c as usize >= b as usize + 16);
            arena.dealloc(b, layout(16, 8));
            arena.dealloc(c, layout(8, 8));
            assert_eq!(arena.next.get(), 0);
            assert_eq!(arena.alloc(layout(3, 1)), a);
        }
    }

    #[test]
    fn the_last_block_grows_in_place_and_others_move_with_their_bytes() {
        let arena = arena();
        unsafe {
            let a = arena.alloc(layout(4, 1));
            a.copy_from(b"abcd".as_ptr(), 4);
            let grown = arena.realloc(a, layout(4, 1), 64);
            assert_eq!(grown, a);
            let b = arena.alloc(layout(4, 1));
            let moved = arena.realloc(a, layout(64, 1), 128);
            assert_ne!(moved, a);
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
            arena.dealloc(b, layout(4, 1));
            arena.dealloc(moved, layout(128, 1));
            assert_eq!((arena.live.get(), arena.next.get()), (0, 0));
        }
    }

    #[test]
    fn what_does_not_fit_goes_to_the_system_allocator() {
        let arena = arena();
        unsafe {
            let big = arena.alloc(layout(ARENA_BYTES + 1, 8));
            assert!(!big.is_null() && !arena.contains(big));
            let small = arena.alloc(layout(ARENA_BYTES - 8, 8));
            assert!(arena.contains(small));
            // Full: the next block comes from the system, and moving the
            // arena block there keeps its bytes.
            small.write_bytes(7, 8);
            let moved = arena.realloc(small, layout(ARENA_BYTES - 8, 8), ARENA_BYTES + 64);
            assert!(!arena.contains(moved));
            assert_eq!(*moved.add(7), 7);
            assert_eq!((arena.live.get(), arena.next.get()), (0, 0));
            arena.dealloc(moved, layout(ARENA_BYTES + 64, 8));
            arena.dealloc(big, layout(ARENA_BYTES + 1, 8));
        }
    }
}
