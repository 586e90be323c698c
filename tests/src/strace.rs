//! Running `ferry` under `strace -f` and reading the order of its file
//! system calls: what a test needs to show that data is synced before a
//! file gets its name and the folder after.

use std::path::{Path, PathBuf};

use tokio::process::Command;

/// The calls traced: opening, syncing, naming files, and writes (stdout
/// among them, to place "done" in the order; the database's, to place
/// what it records).
const TRACED: &str = "trace=openat,fsync,fdatasync,syncfs,rename,renameat,renameat2,link,linkat,\
     write,pwrite64";

/// A `ferry` command on a data dir (as [`crate::ferry`] makes it) run
/// under `strace -f`, which writes the trace to `trace`.
pub fn ferry_traced(data_dir: &Path, trace: &Path) -> Command {
    let mut cmd = Command::new("strace");
    // A database page is 4 KiB and its rows sit at its end: the strings
    // shown must be that long to see what a write records.
    cmd.args(["-f", "-y", "-qq", "-s", "4200", "-e", TRACED, "-o"])
        .arg(trace)
        .arg("--")
        .arg(crate::ferry_bin())
        .env("FERRY_DATA_DIR", data_dir)
        .env("FERRY_RELAY", "disabled")
        .env("FERRY_BIND", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .arg("--json")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// One system call: where it started and ended in the trace (a call
/// another thread interrupted spans lines), its name, arguments and
/// result as strace shows them (`-y`: file descriptors with their paths).
#[derive(Debug, Clone)]
pub struct Call {
    /// Line where the call started.
    pub start: usize,
    /// Line where it returned.
    pub end: usize,
    /// The system call.
    pub name: String,
    /// Its arguments, as printed.
    pub args: String,
    /// Its result, as printed.
    pub ret: String,
}

impl Call {
    /// The quoted strings among the arguments (paths), unescaped no further.
    pub fn strings(&self) -> Vec<&str> {
        self.args.split('"').skip(1).step_by(2).collect()
    }

    /// The path of the first argument's file descriptor (`3</a/b>` → `/a/b`).
    pub fn fd_path(&self) -> Option<&str> {
        // A write's data follows its descriptor and may hold `>` itself.
        match self.args.find(">, ") {
            Some(end) => annotated(&self.args[..=end]),
            None => annotated(&self.args),
        }
    }

    /// The descriptor a call returned and its path (`3</a/b>`).
    pub fn returned_fd(&self) -> Option<(u32, &str)> {
        let fd = self.ret.split('<').next()?.trim().parse().ok()?;
        Some((fd, annotated(&self.ret)?))
    }

    fn succeeded(&self) -> bool {
        self.ret.trim_start().starts_with('0') || self.returned_fd().is_some()
    }
}

/// The path inside the first `<…>` of `text`, up to its last `>`.
fn annotated(text: &str) -> Option<&str> {
    let start = text.find('<')? + 1;
    let end = text.rfind('>')?;
    (end > start).then(|| &text[start..end])
}

/// A parsed `strace -f -o FILE` trace.
#[derive(Debug, Default)]
pub struct Trace {
    /// Every call, in the order they returned.
    pub calls: Vec<Call>,
}

impl Trace {
    /// Reads a trace file.
    pub fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).expect("reading the trace");
        Self::parse(&text)
    }

    /// Parses the text of a trace (each line starts with a thread id).
    pub fn parse(text: &str) -> Self {
        let mut pending: std::collections::HashMap<&str, (usize, String)> = Default::default();
        let mut calls = Vec::new();
        for (line_no, line) in text.lines().enumerate() {
            let Some((pid, rest)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            let rest = rest.trim_start();
            if rest.starts_with("---") || rest.starts_with("+++") {
                continue;
            }
            let (start, whole) = if let Some(resumed) = rest.strip_prefix("<... ") {
                let Some((_, tail)) = resumed.split_once(" resumed>") else {
                    continue;
                };
                let Some((start, head)) = pending.remove(pid) else {
                    continue;
                };
                (start, format!("{head}{tail}"))
            } else if let Some(head) = rest.strip_suffix("<unfinished ...>") {
                pending.insert(pid, (line_no, head.trim_end().to_string()));
                continue;
            } else {
                (line_no, rest.to_string())
            };
            let Some(open) = whole.find('(') else {
                continue;
            };
            // strace pads short calls: `fsync(3</a>)    = 0`.
            let Some(eq) = whole.rfind(" = ") else {
                continue;
            };
            let Some(head) = whole[..eq].trim_end().strip_suffix(')') else {
                continue;
            };
            if head.len() <= open {
                continue;
            }
            calls.push(Call {
                start,
                end: line_no,
                name: whole[..open].to_string(),
                args: head[open + 1..].to_string(),
                ret: whole[eq + 3..].to_string(),
            });
        }
        Self { calls }
    }

    /// The successful rename or link that gave `path` its name.
    pub fn naming(&self, path: &Path) -> Option<&Call> {
        let target = path.to_str()?;
        self.calls.iter().find(|c| {
            matches!(
                c.name.as_str(),
                "rename" | "renameat" | "renameat2" | "link" | "linkat"
            ) && c.strings().last() == Some(&target)
                && c.succeeded()
        })
    }

    /// Checks the order for one file that now exists at `path`: its data
    /// was synced (fsync or fdatasync of the file it was written as, or a
    /// syncfs of its file system after it was opened) before the call that
    /// named it, and its folder was synced after.
    /// Returns the line where that folder sync returned.
    pub fn assert_durably_named(&self, path: &Path) -> usize {
        let naming = self
            .naming(path)
            .unwrap_or_else(|| panic!("no rename or link names {}", path.display()));
        let source = naming.strings()[0].to_string();
        // A link from /proc/self/fd/N names an anonymous file: what was
        // synced is that descriptor, as opened last before the link.
        let (written_as, opened_at) = match source.strip_prefix("/proc/self/fd/") {
            Some(fd) => {
                let fd: u32 = fd.parse().expect("a descriptor number");
                let open = self
                    .calls
                    .iter()
                    .filter(|c| c.end < naming.start)
                    .rfind(|c| c.returned_fd().is_some_and(|(n, _)| n == fd))
                    .unwrap_or_else(|| panic!("no open of fd {fd} before {naming:?}"));
                let (_, p) = open.returned_fd().expect("a descriptor");
                (p.to_string(), open.end)
            }
            None => (source, 0),
        };
        let synced = self.synced_before(&written_as, opened_at, naming.start, 4);
        assert!(
            synced,
            "{}: no sync of {written_as} before {naming:?}",
            path.display()
        );
        let dir: PathBuf = path.parent().expect("a folder").to_path_buf();
        let dir_sync = self
            .calls
            .iter()
            .find(|c| c.name == "fsync" && c.start > naming.end && c.fd_path() == dir.to_str())
            .unwrap_or_else(|| {
                panic!("{}: no sync of its folder after {naming:?}", path.display())
            });
        dir_sync.end
    }

    /// Whether the file named `name` had its data synced between `after`
    /// and `before`: under that name, or under the name it had before a
    /// rename gave it this one (a staged file renamed twice), following at
    /// most `hops` renames back.
    fn synced_before(&self, name: &str, after: usize, before: usize, hops: usize) -> bool {
        let direct = self.calls.iter().any(|c| {
            let this_file = match c.name.as_str() {
                "fsync" | "fdatasync" => c.fd_path() == Some(name),
                "syncfs" => true,
                _ => false,
            };
            this_file && c.start > after && c.end < before
        });
        if direct || hops == 0 {
            return direct;
        }
        let renamed = self.calls.iter().rfind(|c| {
            matches!(c.name.as_str(), "rename" | "renameat" | "renameat2")
                && c.succeeded()
                && c.end < before
                && c.strings().last() == Some(&name)
        });
        match renamed {
            Some(r) => {
                let from = r.strings()[0].to_string();
                self.synced_before(&from, after, r.start, hops - 1)
            }
            None => false,
        }
    }

    /// The first write to a file whose path contains `file` (the database
    /// or its log, say) of data that `wrote` accepts, as strace shows it.
    pub fn first_write_to(&self, file: &str, wrote: impl Fn(&str) -> bool) -> Option<&Call> {
        self.calls.iter().find(|c| {
            matches!(c.name.as_str(), "write" | "pwrite64")
                && c.fd_path().is_some_and(|p| p.contains(file))
                && wrote(&c.args)
        })
    }

    /// The first write to stdout that contains `text`, as strace shows it
    /// (quotes escaped).
    pub fn stdout_write(&self, text: &str) -> Option<&Call> {
        self.calls
            .iter()
            .find(|c| c.name == "write" && c.args.starts_with("1<") && c.args.contains(text))
    }
}
