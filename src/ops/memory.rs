//! Keeping the resident set small on glibc.
//!
//! glibc's allocator gives each thread that allocates an arena of its own, up to eight per core,
//! and keeps what was freed in them for reuse. Backbone has few busy threads (the runtime's
//! workers, one worker per SQLite connection, the blocking pool for charts and files), so extra
//! arenas hold freed memory that nothing will reuse soon. [`limit_arenas`] caps them at two
//! before any thread starts, and [`give_back`] returns freed pages to the system once start-up's
//! work (migrations, registering commands) is done. Elsewhere (musl, macOS) both do nothing.
//!
//! Most of an idle bot's resident set is not heap but code: the kernel maps a file's pages into a
//! process 64 KB around each page it touches, so start-up (the command registry, migrations,
//! config, TLS) leaves many megabytes of the binary's and libraries' code mapped that the running
//! bot never runs again. [`drop_startup_code`] unmaps those clean code pages once start-up is
//! done; they stay in the kernel's page cache, so code the bot runs later comes back with a minor
//! fault, and only what it really runs counts in its resident set.
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

/// Drops this process's mappings of the code pages start-up touched (the executable's and shared
/// libraries' `r-xp` segments; see the module's notes). Only read-and-execute file mappings are
/// touched: they are never written, so nothing is lost — the pages come back from the page cache
/// when run again. Returns how many bytes of mappings were advised (0 where unsupported).
pub fn drop_startup_code() -> usize {
    #[cfg(target_os = "linux")]
    {
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return 0;
        };
        let mut advised = 0;
        for (start, end) in code_mappings(&maps) {
            // SAFETY: [start, end) is a whole read-only, executable, private file mapping of this
            // process, as the kernel lists it; its pages are never written, so MADV_DONTNEED only
            // drops page table entries, and the next access maps the same file page again.
            let rc = unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
            if rc == 0 {
                advised += end - start;
            }
        }
        advised
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// The `r-xp` mappings of files (not `[vdso]` and the like) in `/proc/self/maps` text.
fn code_mappings(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let range = fields.next()?;
            let perms = fields.next()?;
            let path = fields.nth(3)?;
            if perms != "r-xp" || !path.starts_with('/') {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (end > start).then_some((start, end))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_file_code_mappings_are_chosen() {
        let maps = "\
55d0c0a00000-55d0c0b00000 r--p 00000000 fd:01 123 /usr/bin/backbone
55d0c0b00000-55d0c2000000 r-xp 00100000 fd:01 123 /usr/bin/backbone
55d0c2000000-55d0c2100000 rw-p 01600000 fd:01 123 /usr/bin/backbone
7f0000000000-7f0000021000 rw-p 00000000 00:00 0 
7f1000000000-7f1000200000 r-xp 00028000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
";
        assert_eq!(
            code_mappings(maps),
            vec![(0x55d0c0b00000, 0x55d0c2000000), (0x7f1000000000, 0x7f1000200000)]
        );
    }

    /// Resident kB of this process's `r-xp` file mappings, from `/proc/self/smaps`.
    fn resident_code_kb() -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut in_code = false;
        let mut kb = 0;
        for line in smaps.lines() {
            if let Some(rss) = line.strip_prefix("Rss:") {
                if in_code {
                    kb += rss
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .unwrap_or(0);
                }
            } else if line
                .split_whitespace()
                .next()
                .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
            {
                in_code = !code_mappings(line).is_empty();
            }
        }
        kb
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn startup_code_leaves_the_resident_set_and_still_runs() {
        let before = resident_code_kb();
        let advised = drop_startup_code();
        let after = resident_code_kb();
        assert!(advised > 0, "the test binary's own code is mapped r-xp");
        assert!(
            after < before,
            "resident code {before} kB before, {after} kB after"
        );
        // The code dropped is mapped again as it runs.
        let sum: u64 = std::hint::black_box(1..=1000u64).sum();
        assert_eq!(sum, 500_500);
        assert!(resident_code_kb() > 0);
    }
}
