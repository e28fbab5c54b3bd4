//! Files Backbone writes for people — backups, exports, reports, charts, a restored database: each
//! is readable by the bot's own user only (mode 0600; a directory Backbone creates for them is
//! 0700), is first written under a fresh temporary name beside its final one (created exclusively,
//! so never through a symlink or into someone else's file), and only then moved into place.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Files Backbone writes: owner read/write only.
pub const FILE_MODE: u32 = 0o600;
/// Directories Backbone creates for them: owner only.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and missing parents) with mode 0700; an existing directory is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// A new, empty file beside `path` (same directory, so a rename or link into place stays on one
/// file system), created exclusively with mode 0600 under a name no one else uses: it is ours.
pub fn create_temp_beside(path: &Path) -> std::io::Result<(File, PathBuf)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tries = 0;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&temp)
        {
            Ok(file) => return Ok((file, temp)),
            // Someone else's file has that name (a leftover of another process): pick another.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Gives `path` mode 0600 (after SQLite wrote it, whose file mode follows the umask).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
}

/// Whether anything — a file, a directory, a symlink, even a dangling one — is at `path`.
pub fn occupied(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Moves `from` to `to` only if nothing is at `to`: a hard link (which fails if `to` exists, so
/// nothing is ever replaced), then `from` is removed. Where the file system has no hard links,
/// falls back to a rename after checking `to` is free. Fails with `AlreadyExists` when it is not.
pub fn rename_new(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if !occupied(to) => std::fs::rename(from, to),
        Err(_) => Err(std::io::ErrorKind::AlreadyExists.into()),
    }
}

/// Writes `bytes` to `path` (a file the user named or Backbone's dated default): into a fresh
/// private file beside it, then renamed over `path`. An existing file at `path` is replaced whole
/// (a symlink there is replaced, never followed); nothing half-written is ever left at `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let cannot = |e: std::io::Error| {
        Error::user(format!(
            "cannot write `{}`: {e} — choose a file in a directory you can write to.",
            path.display()
        ))
    };
    let (mut file, temp) = create_temp_beside(path).map_err(cannot)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(cannot(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn written_files_are_private_and_replace_a_symlink_rather_than_follow_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        write_private(&out, b"one").unwrap();
        assert_eq!(
            (std::fs::read(&out).unwrap(), mode(&out)),
            (b"one".to_vec(), 0o600)
        );

        // Over an existing, readable file: replaced whole, private now.
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&out, b"two").unwrap();
        assert_eq!(
            (std::fs::read(&out).unwrap(), mode(&out)),
            (b"two".to_vec(), 0o600)
        );

        // A symlink at the path: the link is replaced, its target untouched.
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, b"not yours").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"three").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"not yours");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&link).unwrap(), b"three");

        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn rename_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"new").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let e = rename_new(&a, &b).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        std::fs::remove_file(&b).unwrap();
        rename_new(&a, &b).unwrap();
        assert!(!occupied(&a));
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
    }

    #[test]
    fn created_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("x").join("backups");
        create_private_dir(&made).unwrap();
        assert_eq!(mode(&made), 0o700);
        assert_eq!(mode(&dir.path().join("x")), 0o700);
    }
}
