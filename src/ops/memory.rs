//! Keeping the resident set small on glibc.
//!
//! glibc's allocator gives each thread that allocates an arena of its own, up to eight per core,
//! and keeps what was freed in them for reuse. Backbone has few busy threads (the runtime's
//! workers, one worker per SQLite connection, the blocking pool for charts and files), so extra
//! arenas hold freed memory that nothing will reuse soon. [`limit_arenas`] caps them at two
//! before any thread starts, and [`give_back`] returns freed pages to the system once start-up's
//! work (migrations, registering commands) is done. Elsewhere (musl, macOS) both do nothing.
//!
//! Measured by `cargo bench --bench memory` (see the README's benchmark section).

/// Caps glibc's malloc arenas at two. Call first thing in `main`, before any thread exists.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before other threads allocate.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the allocator's free pages to the system (glibc `malloc_trim`).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
