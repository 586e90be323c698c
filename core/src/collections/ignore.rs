//! Which paths of a folder a collection leaves alone: `.ferryignore`
//! patterns, editor and OS temp files, and Ferry's own temp files.
//!
//! `.ferryignore` holds one glob per line (`#` starts a comment):
//! - `*` matches within one name, `?` one character, `**` any run of folders;
//! - a pattern without `/` matches a name at any depth (`*.log`);
//! - a pattern with `/` is anchored at the folder's root (`build/out`);
//! - a trailing `/` matches a folder and everything in it (`node_modules/`).
//!
//! The file itself is local to each device and is not synced.

use std::path::Path;

/// The name of the ignore file at the root of a collection's folder.
pub(crate) const IGNORE_FILE: &str = ".ferryignore";

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

#[derive(Debug, Clone)]
struct Pattern {
    glob: Vec<char>,
    anchored: bool,
    dir_only: bool,
}

/// A set of ignore patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ignore {
    patterns: Vec<Pattern>,
}

impl Ignore {
    /// The built-in patterns plus those of `root/.ferryignore`, if any.
    pub fn load(root: &Path) -> Self {
        let text = std::fs::read_to_string(root.join(IGNORE_FILE)).unwrap_or_default();
        Self::parse(&text)
    }

    /// The built-in patterns plus those in `text`.
    pub fn parse(text: &str) -> Self {
        let user = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let patterns = BUILT_IN.iter().copied().chain(user).map(pattern).collect();
        Self { patterns }
    }

    /// Whether the `/`-separated relative `path` is ignored: it, or one of
    /// the folders it is in, matches a pattern.
    pub fn is_ignored(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        (1..=parts.len()).any(|n| {
            let is_dir = n < parts.len();
            let prefix = parts[..n].join("/");
            let name = parts[n - 1];
            self.patterns.iter().any(|p| {
                if p.dir_only && !is_dir {
                    return false;
                }
                let subject = if p.anchored { &prefix } else { name };
                glob_match(&p.glob, &subject.chars().collect::<Vec<_>>())
            })
        })
    }
}

fn pattern(line: &str) -> Pattern {
    let (line, dir_only) = match line.strip_suffix('/') {
        Some(l) => (l, true),
        None => (line, false),
    };
    let anchored = line.contains('/');
    let line = line.strip_prefix('/').unwrap_or(line);
    Pattern {
        glob: line.chars().collect(),
        anchored,
        dir_only,
    }
}

/// Glob matching: `*` within a name, `**` across `/`, `?` one character.
fn glob_match(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) if rest.first() == Some(&'*') => {
            // `**/` may also match nothing at all.
            let rest = &rest[1..];
            let after_slash = rest.strip_prefix(&['/']).unwrap_or(rest);
            (0..=text.len()).any(|i| glob_match(rest, &text[i..])) || glob_match(after_slash, text)
        }
        Some(('*', rest)) => (0..=text.len())
            .take_while(|i| *i == 0 || text[i - 1] != '/')
            .any(|i| glob_match(rest, &text[i..])),
        Some(('?', rest)) => {
            matches!(text.split_first(), Some((c, t)) if *c != '/' && glob_match(rest, t))
        }
        Some((c, rest)) => {
            matches!(text.split_first(), Some((t, tail)) if t == c && glob_match(rest, tail))
        }
    }
}

#[cfg(test)]
mod tests {
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
}
