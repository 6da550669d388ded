//! Making sure no sandbox outlives pgstage: a registry of running clusters that is emptied on
//! drop, at process exit (atexit), on Ctrl-C / SIGTERM (for binaries that ask), and, after a
//! SIGKILL, by the parent-death signal the server gets plus a sweep of stale directories at
//! the next start.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// A cluster that must be stopped and deleted before the process ends.
#[derive(Debug, Clone)]
pub(super) struct Live {
    pub pid: i32,
    pub dir: PathBuf,
}

static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());
static ATEXIT: Once = Once::new();

/// Directory names are `pgstage-sandbox-<owner pid>-<n>`.
pub(super) const DIR_PREFIX: &str = "pgstage-sandbox-";

pub(super) fn register(live: Live) {
    ATEXIT.call_once(|| {
        // SAFETY: registering a plain `extern "C" fn` with no captured state.
        unsafe { libc::atexit(stop_all_at_exit) };
    });
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).push(live);
}

pub(super) fn unregister(pid: i32) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|l| l.pid != pid);
}

extern "C" fn stop_all_at_exit() {
    stop_all();
}

/// Stop and delete every registered sandbox. Safe to call more than once.
pub fn stop_all() {
    let all: Vec<Live> = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for live in all {
        stop_server(live.pid, &live.dir.join("data"));
        let _ = std::fs::remove_dir_all(&live.dir);
    }
}

/// Fast shutdown (SIGINT); after `patience`, immediate shutdown (SIGQUIT). Returns once the
/// postmaster has gone or its pid file is removed.
pub(super) fn stop_server(pid: i32, data: &Path) {
    // SAFETY: kill(2) with a pid we started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let gone = || !data.join("postmaster.pid").exists() || !alive(pid);
    if wait_until(Duration::from_secs(15), gone) {
        return;
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGQUIT) };
    wait_until(Duration::from_secs(5), gone);
}

fn wait_until(patience: Duration, done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < patience {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

pub(super) fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// Remove sandbox directories left by pgstage processes that no longer exist (killed with
/// SIGKILL: their server got SIGINT from the parent-death signal, the files stayed). Only
/// directories owned by `uid` (the user our servers run as) are ours: in a shared temp
/// directory, anyone can make one with that name, and a pid file naming any process.
pub(super) fn sweep_stale(parent: &Path, uid: u32) {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else { continue };
        let Some(owner) = rest.split('-').next().and_then(|p| p.parse::<i32>().ok()) else { continue };
        if owner == std::process::id() as i32 || alive(owner) {
            continue;
        }
        if !entry.path().symlink_metadata().is_ok_and(|m| m.is_dir() && m.uid() == uid) {
            continue;
        }
        // A server of ours runs as `uid` too.
        let ours = |pid: i32| std::fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| m.uid() == uid);
        if let Some(postmaster) = postmaster_pid(&entry.path().join("data"))
            && alive(postmaster)
            && ours(postmaster)
        {
            stop_server(postmaster, &entry.path().join("data"));
        }
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

fn postmaster_pid(data: &Path) -> Option<i32> {
    std::fs::read_to_string(data.join("postmaster.pid")).ok()?.lines().next()?.trim().parse().ok()
}

/// What the first SIGINT, SIGTERM or SIGHUP does instead of stopping every sandbox and exiting
/// (see [`on_signal`]).
type Hook = Box<dyn FnOnce(i32) + Send>;

static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// While a run can still end cleanly (cancel its statement, roll back, report, drop its
/// sandbox), the first signal calls `hook` instead of exiting; a second one stops every
/// sandbox and exits. `None`: back to stopping and exiting at once.
pub fn on_signal(hook: Option<Hook>) {
    *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = hook;
}

/// For binaries: on SIGINT, SIGTERM or SIGHUP (a terminal's Ctrl-C, `kill`, a closed
/// terminal), stop every sandbox and exit with 128 + signal, unless [`on_signal`] set a hook
/// for the first one. Call first thing in `main`, before any other thread starts (the signals
/// are blocked in every thread and received by a dedicated one).
pub fn install_signal_handler() {
    // SAFETY: plain libc signal-set manipulation on a local set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    std::thread::Builder::new()
        .name("pgstage-signals".into())
        .spawn(move || {
            loop {
                let mut sig = 0;
                // SAFETY: waits on the set built above.
                unsafe { libc::sigwait(&set, &mut sig) };
                if let Some(hook) = HOOK.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    hook(sig);
                    continue;
                }
                eprintln!("\npgstage: signal {sig} received, stopping the sandbox");
                stop_all();
                std::process::exit(128 + sig);
            }
        })
        .expect("spawn the signal thread");
}
