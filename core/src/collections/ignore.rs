//! Which paths of a folder a collection leaves alone: `.ferryignore`
//! patterns, editor and OS temp files, and Ferry's own temp files.
//!
//! `.ferryignore` holds one glob per line (`#` starts a comment):
//! - `*` matches within one name, `?` one character, `**` any run of folders
//!   (as a whole component, as in `docs/**/*.tmp`; elsewhere it is `*`);
//! - a pattern without `/` matches a name at any depth (`*.log`);
//! - a pattern with `/` is anchored at the folder's root (`build/out`);
//! - a trailing `/` matches a folder and everything in it (`node_modules/`).
//!
//! Every other character stands for itself. The file itself is local to
//! each device and is not synced.
//!
//! Matching takes time linear in the path, whatever the patterns: they are
//! compiled once into automata (`globset`), never matched by backtracking.
//! Only the first [`MAX_IGNORE_BYTES`] of the file and the first
//! [`MAX_PATTERNS`] patterns count, so a huge file cannot stall a scan.

use std::{io::Read, path::Path, sync::Arc};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use tracing::warn;

/// The name of the ignore file at the root of a collection's folder.
pub(crate) const IGNORE_FILE: &str = ".ferryignore";

/// The most of `.ferryignore` that is read.
pub(crate) const MAX_IGNORE_BYTES: usize = 64 * 1024;
/// The most patterns taken from `.ferryignore`.
pub(crate) const MAX_PATTERNS: usize = 1000;

/// Names never synced: Ferry's own files, editor swap and lock files, OS
/// litter.
const BUILT_IN: &[&str] = &[
    ".ferry*",
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
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

/// The compiled patterns, in the three forms a path is asked about.
#[derive(Debug)]
struct Sets {
    /// Patterns that match a path itself (not the folder-only ones).
    own: GlobSet,
    /// Every pattern, for a path known to be a folder.
    folder: GlobSet,
    /// Everything under a folder that a pattern matches.
    under: GlobSet,
}

#[derive(Debug, Clone, Default)]
enum Matcher {
    /// An empty set: nothing is ignored.
    #[default]
    Nothing,
    Sets(Arc<Sets>),
    /// The patterns could not be compiled: the folder is left alone rather
    /// than syncing what the user meant to keep out.
    Everything,
}

/// A set of ignore patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ignore {
    matcher: Matcher,
}

/// One line of `.ferryignore`, taken apart.
struct Pattern {
    /// The glob, in `globset` syntax.
    glob: String,
    anchored: bool,
    dir_only: bool,
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
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .take(MAX_PATTERNS);
        let patterns = BUILT_IN.iter().copied().chain(user).filter_map(pattern);
        let matcher = match compile(patterns) {
            Ok(sets) => Matcher::Sets(Arc::new(sets)),
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
        match &self.matcher {
            Matcher::Nothing => false,
            Matcher::Everything => true,
            Matcher::Sets(sets) => sets.own.is_match(path) || sets.under.is_match(path),
        }
    }

    /// Whether the folder at `path`, and so everything in it, is ignored.
    pub fn is_ignored_folder(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Nothing => false,
            Matcher::Everything => true,
            Matcher::Sets(sets) => sets.folder.is_match(path) || sets.under.is_match(path),
        }
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

fn pattern(line: &str) -> Option<Pattern> {
    let (line, dir_only) = match line.strip_suffix('/') {
        Some(l) => (l, true),
        None => (line, false),
    };
    let anchored = line.contains('/');
    let line = line.strip_prefix('/').unwrap_or(line);
    if line.is_empty() {
        return None;
    }
    let glob = line
        .split('/')
        .map(|component| translate(component, anchored))
        .collect::<Vec<_>>()
        .join("/");
    Some(Pattern {
        glob,
        anchored,
        dir_only,
    })
}

/// One component of a pattern in `globset` syntax: `*` and `?` keep their
/// meaning, a whole-component `**` (anchored patterns only) spans folders,
/// any other run of `*` is one `*`, and every other character is literal.
fn translate(component: &str, anchored: bool) -> String {
    if anchored && component == "**" {
        return component.to_string();
    }
    let mut out = String::with_capacity(component.len());
    let mut after_star = false;
    for c in component.chars() {
        match c {
            '*' if after_star => continue,
            '*' => out.push('*'),
            '?' => out.push('?'),
            '[' | ']' | '{' | '}' | '\\' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
        after_star = c == '*';
    }
    out
}

fn compile(patterns: impl Iterator<Item = Pattern>) -> Result<Sets, globset::Error> {
    let (mut own, mut folder, mut under) = (
        GlobSetBuilder::new(),
        GlobSetBuilder::new(),
        GlobSetBuilder::new(),
    );
    for p in patterns {
        // Unanchored patterns match a name at any depth.
        let at = if p.anchored {
            p.glob.clone()
        } else {
            format!("**/{}", p.glob)
        };
        let inside = if at == "**" || at.ends_with("/**") {
            at.clone()
        } else {
            format!("{at}/**")
        };
        let (at, inside) = (glob(&at)?, glob(&inside)?);
        if !p.dir_only {
            own.add(at.clone());
        }
        folder.add(at);
        under.add(inside);
    }
    Ok(Sets {
        own: own.build()?,
        folder: folder.build()?,
        under: under.build()?,
    })
}

fn glob(text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
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
    fn glob_characters_other_than_stars_and_question_marks_are_literal() {
        let ignore = Ignore::parse("[ab].txt\n{x,y}\nback\\slash\n!keep\nq?.md\na**b\n");
        assert!(ignore.is_ignored("[ab].txt"));
        assert!(!ignore.is_ignored("a.txt"));
        assert!(ignore.is_ignored("{x,y}"));
        assert!(!ignore.is_ignored("x"));
        assert!(ignore.is_ignored("back\\slash"));
        assert!(ignore.is_ignored("!keep"));
        assert!(ignore.is_ignored("q1.md"));
        assert!(!ignore.is_ignored("q/.md"));
        assert!(ignore.is_ignored("aXYb"), "** inside a name is *");
        assert!(!ignore.is_ignored("a/b"));
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
