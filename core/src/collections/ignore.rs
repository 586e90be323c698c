//! Which paths of a folder a collection leaves alone: `.ferryignore`
//! patterns, editor and OS temp files, and Ferry's own files.
//!
//! `.ferryignore` is written in gitignore syntax, one pattern per line:
//! - `#` starts a comment, `!` before a pattern keeps what an earlier one
//!   ignored (`\#` and `\!` for names that start with them);
//! - `*` matches within one name, `?` one character, `[a-z]` a class, `**`
//!   any run of folders (`docs/**/*.tmp`), and `{a,b}` either (as in
//!   ripgrep's ignore files; `[{]` for a literal brace);
//! - a pattern without a `/` (but at its end) matches a name at any depth
//!   (`*.log`); one with a `/` is anchored at the folder's root
//!   (`build/out`, `/todo.txt`);
//! - a trailing `/` matches a folder only, and so everything in it
//!   (`node_modules/`);
//! - as in git, nothing inside an ignored folder can be kept with `!`.
//!
//! Editor and OS temp files are ignored first, so `!` can keep one of them;
//! Ferry's own files (names starting with `.ferry`, the ignore file among
//! them) are ignored whatever the patterns say. The file itself is local to
//! each device and is not synced.
//!
//! Matching takes time linear in the path, whatever the patterns: they are
//! compiled once into automata (the `ignore` crate's gitignore matcher),
//! never matched by backtracking. Only the first [`MAX_IGNORE_BYTES`] of
//! the file and the first [`MAX_PATTERNS`] patterns count, so a huge file
//! cannot stall a scan.

use std::{io::Read, path::Path, sync::Arc};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use tracing::warn;

/// The name of the ignore file at the root of a collection's folder.
pub(crate) const IGNORE_FILE: &str = ".ferryignore";

/// The most of `.ferryignore` that is read.
pub(crate) const MAX_IGNORE_BYTES: usize = 64 * 1024;
/// The most patterns taken from `.ferryignore`.
pub(crate) const MAX_PATTERNS: usize = 1000;

/// Names Ferry keeps for itself (temp files, partial files, the ignore
/// file): never synced, whatever `.ferryignore` says.
const FERRY_OWN: &str = ".ferry";

/// Editor swap and lock files and OS litter, in gitignore syntax: not
/// synced unless `.ferryignore` keeps them with `!`.
const BUILT_IN: &[&str] = &[
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "\\#*#",
    "4913",
    ".~lock.*#",
    "~$*",
    "*.crdownload",
    "*.part",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".directory",
];

#[derive(Debug, Clone, Default)]
enum Matcher {
    /// An empty set: nothing is ignored.
    #[default]
    Nothing,
    Patterns(Arc<Gitignore>),
    /// The patterns could not be compiled: the folder is left alone rather
    /// than syncing what the user meant to keep out.
    Everything,
}

/// A set of ignore patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ignore {
    matcher: Matcher,
}

impl Ignore {
    /// The built-in patterns plus those of `root/.ferryignore`, if any.
    #[cfg(test)]
    pub fn load(root: &Path) -> Self {
        Self::parse(&read(root))
    }

    /// The built-in patterns plus those in `text` (the first
    /// [`MAX_PATTERNS`] of them).
    pub fn parse(text: &str) -> Self {
        let user = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .take(MAX_PATTERNS);
        let matcher = match compile(BUILT_IN.iter().copied().chain(user)) {
            Ok(patterns) => Matcher::Patterns(Arc::new(patterns)),
            Err(e) => {
                warn!("the ignore patterns do not compile, so the folder is left alone: {e}");
                Matcher::Everything
            }
        };
        Self { matcher }
    }

    /// Whether the `/`-separated relative `path` (a file, or of unknown
    /// kind) is ignored: it, or one of the folders it is in, matches a
    /// pattern.
    pub fn is_ignored(&self, path: &str) -> bool {
        self.ignores(path, false)
    }

    /// Whether the folder at `path`, and so everything in it, is ignored.
    pub fn is_ignored_folder(&self, path: &str) -> bool {
        self.ignores(path, true)
    }

    fn ignores(&self, path: &str, is_dir: bool) -> bool {
        let patterns = match &self.matcher {
            Matcher::Nothing => return false,
            Matcher::Everything => return true,
            Matcher::Patterns(p) => p,
        };
        if path.split('/').any(|name| name.starts_with(FERRY_OWN)) {
            return true;
        }
        // As in git: a folder that is ignored takes everything in it along,
        // and nothing inside can be kept again.
        let folders = path
            .match_indices('/')
            .map(|(at, _)| &path[..at])
            .filter(|folder| !folder.is_empty());
        for folder in folders {
            if patterns.matched(folder, true).is_ignore() {
                return true;
            }
        }
        patterns.matched(path, is_dir).is_ignore()
    }
}

/// The text of `root/.ferryignore` (empty if there is none).
pub(crate) fn read(root: &Path) -> String {
    read_ignore_file(&root.join(IGNORE_FILE))
}

/// Reads at most [`MAX_IGNORE_BYTES`] of a regular file, never following a
/// symlink and never waiting on a pipe or device; anything else reads as
/// empty.
fn read_ignore_file(path: &Path) -> String {
    let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file());
    if !regular {
        return String::new();
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    let Ok(file) = options.open(path) else {
        return String::new();
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return String::new();
    }
    let mut bytes = Vec::new();
    if file
        .take(MAX_IGNORE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return String::new();
    }
    if bytes.len() > MAX_IGNORE_BYTES {
        warn!(
            "{} is longer than {MAX_IGNORE_BYTES} bytes; the rest is not read",
            path.display()
        );
        // Drop the line that was cut.
        let end = bytes.iter().rposition(|b| *b == b'\n').unwrap_or(0);
        bytes.truncate(end);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn compile<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Gitignore, ignore::Error> {
    // Paths are asked about relative to the collection's folder.
    let mut builder = GitignoreBuilder::new("");
    for line in lines {
        builder.add_line(None, line)?;
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn matches_names_anchored_paths_and_folders() {
        let ignore = Ignore::parse("# comment\n*.log\n/build/out\nnode_modules/\ndocs/**/*.tmp\n");
        assert!(ignore.is_ignored("a.log"));
        assert!(ignore.is_ignored("deep/er/a.log"));
        assert!(!ignore.is_ignored("a.log.txt"));
        assert!(ignore.is_ignored("build/out"));
        assert!(ignore.is_ignored("build/out/x.bin"));
        assert!(!ignore.is_ignored("src/build/out"));
        assert!(ignore.is_ignored("node_modules/x/y.js"));
        assert!(ignore.is_ignored("app/node_modules/x.js"));
        assert!(
            !ignore.is_ignored("node_modules"),
            "a file of that name is kept"
        );
        assert!(ignore.is_ignored_folder("node_modules"));
        assert!(ignore.is_ignored_folder("app/node_modules"));
        assert!(!ignore.is_ignored_folder("app"));
        assert!(ignore.is_ignored("docs/a.tmp"));
        assert!(ignore.is_ignored("docs/x/y/a.tmp"));
        assert!(!ignore.is_ignored("readme.md"));
    }

    #[test]
    fn editor_and_ferry_temp_files_are_always_ignored() {
        let ignore = Ignore::default();
        assert!(!ignore.is_ignored("x.swp"), "an empty set ignores nothing");
        let ignore = Ignore::parse("");
        for name in [
            ".notes.txt.swp",
            "report.docx~",
            ".#draft.org",
            "#draft.org#",
            "~$report.docx",
            ".ferry-tmp-1234",
            ".ferryignore",
            "sub/.DS_Store",
            "4913",
        ] {
            assert!(ignore.is_ignored(name), "{name}");
        }
        assert!(!ignore.is_ignored("notes.txt"));
    }

    #[test]
    fn patterns_follow_gitignore_syntax() {
        let ignore = Ignore::parse(
            "[ab].txt\n\\#notes\n\\!bang\nq?.md\n*.bak\n!keep.bak\n  \n/todo.txt\nlogs/*\n!logs/today.log\n",
        );
        assert!(ignore.is_ignored("a.txt"), "a class");
        assert!(ignore.is_ignored("x/b.txt"));
        assert!(!ignore.is_ignored("c.txt"));
        assert!(ignore.is_ignored("#notes"), "an escaped #");
        assert!(ignore.is_ignored("!bang"), "an escaped !");
        assert!(ignore.is_ignored("q1.md"));
        assert!(!ignore.is_ignored("q/.md"));
        assert!(ignore.is_ignored("old.bak"));
        assert!(!ignore.is_ignored("keep.bak"), "kept again by a later !");
        assert!(ignore.is_ignored("todo.txt"));
        assert!(!ignore.is_ignored("sub/todo.txt"), "a leading / anchors");
        assert!(ignore.is_ignored("logs/old.log"));
        assert!(
            !ignore.is_ignored("logs/today.log"),
            "kept: its folder is not ignored"
        );
    }

    #[test]
    fn nothing_in_an_ignored_folder_is_kept_again() {
        let ignore = Ignore::parse("build/\n!build/keep.txt\n!build/\n");
        // The last line keeps the folder itself, so its files count again.
        assert!(!ignore.is_ignored("build/keep.txt"));
        let ignore = Ignore::parse("build/\n!build/keep.txt\n");
        assert!(ignore.is_ignored_folder("build"));
        assert!(ignore.is_ignored("build/keep.txt"), "as in git");
        assert!(ignore.is_ignored("build/deep/x"));
    }

    #[test]
    fn editor_files_can_be_kept_but_ferrys_own_never() {
        let ignore = Ignore::parse("!*.part\n!.ferry*\n!.ferryignore\n!/.ferry-partial/\n");
        assert!(!ignore.is_ignored("video.part"), "the user keeps these");
        for path in [
            ".ferryignore",
            ".ferry-tmp-1234",
            ".ferry-partial/x.part",
            "sub/.ferry-tmp-9",
        ] {
            assert!(ignore.is_ignored(path), "{path}");
        }
        assert!(ignore.is_ignored_folder(".ferry-partial"));
    }

    #[test]
    fn a_pattern_that_does_not_compile_leaves_the_folder_alone() {
        let ignore = Ignore::parse("*.log\nnotes{old\n");
        assert!(ignore.is_ignored("notes.txt"));
        assert!(ignore.is_ignored_folder("photos"));
    }

    /// A pattern that makes a backtracking matcher take exponential time
    /// against a long name is matched at once.
    #[test]
    fn a_pathological_pattern_matches_in_linear_time() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ignore = Ignore::parse("*a*a*a*a*a*a*a*a*a*b\n");
            let name = "a".repeat(60);
            let anchored = Ignore::parse("**/*a*a*a*a*a*a*a*a*a*b/**\n");
            tx.send([
                ignore.is_ignored(&name),
                ignore.is_ignored(&format!("{name}/{name}")),
                ignore.is_ignored(&format!("{name}b")),
                anchored.is_ignored(&format!("{name}/{name}/x")),
            ])
            .unwrap();
        });
        // A bound for the test run only, far above what matching needs.
        let answers = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("matching did not finish");
        assert_eq!(answers, [false, false, true, false]);
    }

    #[test]
    fn only_the_first_patterns_and_bytes_of_a_huge_file_count() {
        let tmp = tempfile::tempdir().unwrap();
        let mut text: String = (0..MAX_PATTERNS).map(|i| format!("f{i}\n")).collect();
        text.push_str("late\n");
        std::fs::write(tmp.path().join(IGNORE_FILE), &text).unwrap();
        let ignore = Ignore::load(tmp.path());
        assert!(ignore.is_ignored("f0"));
        assert!(ignore.is_ignored(&format!("f{}", MAX_PATTERNS - 1)));
        assert!(!ignore.is_ignored("late"), "past the pattern limit");

        let big = format!("early\n{}\nlate\n", "#".repeat(MAX_IGNORE_BYTES));
        std::fs::write(tmp.path().join(IGNORE_FILE), big).unwrap();
        let ignore = Ignore::load(tmp.path());
        assert!(ignore.is_ignored("early"));
        assert!(!ignore.is_ignored("late"), "past the byte limit");
    }

    #[cfg(unix)]
    #[test]
    fn an_ignore_file_that_is_a_symlink_or_a_pipe_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::write(&elsewhere, "secret.txt\n").unwrap();
        let folder = tmp.path().join("folder");
        std::fs::create_dir(&folder).unwrap();
        std::os::unix::fs::symlink(&elsewhere, folder.join(IGNORE_FILE)).unwrap();
        assert!(!Ignore::load(&folder).is_ignored("secret.txt"));
        std::fs::remove_file(folder.join(IGNORE_FILE)).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(folder.join(IGNORE_FILE))
            .status()
            .is_ok_and(|s| s.success());
        if made {
            // Would block forever if it were opened for reading.
            assert!(!Ignore::load(&folder).is_ignored("secret.txt"));
        }
    }
}
