//! A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package: `initdb` and
//! `pg_ctl` in a temporary directory, listening on a free loopback port (and a socket in that
//! directory), run as the `postgres` user when the tests run as root (the server refuses root).
//! Stopped (`pg_ctl stop -m immediate`) and deleted when dropped.
//!
//! [`Cluster::start`] returns `None`, after a loud message on stderr, only when no PostgreSQL
//! binaries exist at all and `CI` is not set; any other failure panics.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    pub port: u16,
}

/// Where Debian puts the server's programs (`initdb` and `pg_ctl` are not on PATH there).
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
        .collect();
    // The newest version first (directories are named by major version).
    found.sort_by_key(|b| {
        b.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(b) = found.pop() {
        return Some(b);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Whether the tests run on PostgreSQL (`BACKBONE_TEST_DATABASE=postgres`) rather than SQLite:
/// the harness and the end-to-end bot then put their database in [`Cluster::shared`].
pub fn on_postgres() -> bool {
    match std::env::var("BACKBONE_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("BACKBONE_TEST_DATABASE={other:?}: use `sqlite` (the default) or `postgres`"),
    }
}

/// True (after saying so on stderr) when the tests run on PostgreSQL and this test checks
/// something only SQLite has (its query plans, trigger names, file bytes, write lock,
/// `randomblob`): the test returns early there. What it exercises besides is covered by the
/// other tests on both.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("SQLite only, not run on PostgreSQL: {what}");
        return true;
    }
    false
}

/// Whether PostgreSQL's programs are here; when not, says loudly that the caller skips (and
/// fails instead under CI, which installs them).
pub fn available() -> bool {
    if bin_dir().is_some() {
        return true;
    }
    // `.ci/run` installs PostgreSQL and sets CI: there, the PostgreSQL half must run.
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but no PostgreSQL binaries (initdb, pg_ctl) were found: install Debian's `postgresql` package"
    );
    eprintln!(
        "\n!!!!!!!! SKIPPING the PostgreSQL half: no initdb/pg_ctl found (install Debian's `postgresql` package) !!!!!!!!\n"
    );
    false
}

impl Cluster {
    /// Starts a fresh cluster, or says loudly why PostgreSQL is skipped.
    pub fn start() -> Option<Cluster> {
        if !available() {
            return None;
        }
        let bin = bin_dir()?;
        let as_postgres = is_root();
        // The server runs as `postgres` under root: its directory must be reachable by that user,
        // so it goes in /tmp rather than wherever TMPDIR points.
        let dir = if as_postgres {
            tempfile::Builder::new().prefix("backbone-pg-").tempdir_in("/tmp")
        } else {
            tempfile::tempdir()
        }
        .expect("temp dir");
        if as_postgres {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(owned.success(), "chown the cluster's directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let cluster = Cluster {
            bin,
            dir,
            as_postgres,
            port,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-U",
                "backbone",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.start_server();
        Some(cluster)
    }

    /// Starts the server (again) on its port, waiting until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-o",
                &options,
                "-l",
                self.log().to_str().expect("utf-8 path"),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once (`-m immediate`: every connection is cut, as in a crash).
    pub fn stop_server(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The URL of database `name` (see [`Self::create_database`]); `postgres` always exists.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://backbone@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database `name` (one per test keeps tests apart on one cluster).
    pub fn create_database(&self, name: &str) -> String {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "backbone",
                name,
            ],
        );
        self.url(name)
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let mut cmd = self.command(program);
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}\n{}\nserver log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
        out
    }
}

/// The cluster one test process shares ([`Cluster::shared`]).
static SHARED: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
static NEXT_DATABASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A database of the shared cluster, dropped (`dropdb --force`) with this.
pub struct Database {
    pub url: String,
    name: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(cluster) = SHARED.get() {
            let port = cluster.port.to_string();
            let _ = cluster
                .command("dropdb")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    "backbone",
                    "--force",
                    &self.name,
                ])
                .output();
        }
    }
}

impl Cluster {
    /// The cluster this test process shares, started on first use. A statics is never dropped, so
    /// a watchdog stops the server and deletes its directory once this process is gone. Panics
    /// when PostgreSQL cannot be started: the caller asked for it.
    pub fn shared() -> &'static Cluster {
        SHARED.get_or_init(|| {
            let cluster = Cluster::start().expect("BACKBONE_TEST_DATABASE=postgres needs Debian's `postgresql` package (initdb, pg_ctl)");
            let stop = format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}'{pg_ctl}' -D '{data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{dir}'",
                pid = std::process::id(),
                runuser = if cluster.as_postgres { "runuser -u postgres -- " } else { "" },
                pg_ctl = cluster.bin.join("pg_ctl").display(),
                data = cluster.data().display(),
                dir = cluster.dir.path().display(),
            );
            let watchdog = Command::new("sh")
                .args(["-c", &stop])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start the cluster's watchdog");
            std::mem::forget(watchdog);
            cluster
        })
    }

    /// A fresh, empty database of this cluster.
    pub fn database(&self) -> Database {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let url = self.create_database(&name);
        Database { url, name }
    }

    /// `program` of this cluster's version, as the `postgres` user when the tests run as root.
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        let exe = if exe.is_file() {
            exe
        } else {
            Path::new(program).to_path_buf()
        };
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
