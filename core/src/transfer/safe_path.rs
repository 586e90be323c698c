//! Mapping peer-supplied names to paths inside a target folder.
//!
//! Every name that arrives from a peer is hostile. [`sanitize`] is the one
//! place that decides whether a name may become a path on this device: it
//! either returns a relative path made only of plain components, or rejects
//! the name with the reason. [`place`] then resolves that relative path
//! under the target folder without following symlinks out of it, creating
//! parent folders as needed, and picks a free file name so that nothing
//! existing is ever overwritten.

use std::{
    fmt, io,
    path::{Path, PathBuf},
};

/// The longest name (in bytes) accepted for one path component.
pub(crate) const MAX_COMPONENT: usize = 255;
/// The longest relative path (in bytes) accepted from a peer.
const MAX_PATH_BYTES: usize = 4096;
/// The deepest nesting accepted from a peer.
const MAX_DEPTH: usize = 64;

/// Why a peer-supplied name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeName {
    /// The name is empty or has an empty component (`a//b`).
    Empty,
    /// The name starts at a root (`/etc/passwd`).
    Absolute,
    /// The name contains a backslash, a separator on Windows.
    Backslash,
    /// The name has a `.` or `..` component.
    DotComponent,
    /// The name starts with a drive or device prefix (`C:`, `//?/`).
    DrivePrefix,
    /// The name contains NUL or another control character.
    ControlCharacter,
    /// A component is a name Windows reserves for devices (`CON`, `lpt1.txt`).
    ReservedName(String),
    /// A component ends in a dot or space, which Windows silently strips.
    TrailingDotOrSpace,
    /// A character that the local file system cannot store.
    ForbiddenCharacter(char),
    /// The name or one of its components is too long, or nested too deep.
    TooLong,
}

impl fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty path component"),
            Self::Absolute => write!(f, "absolute path"),
            Self::Backslash => write!(f, "contains a backslash"),
            Self::DotComponent => write!(f, "contains a '.' or '..' component"),
            Self::DrivePrefix => write!(f, "starts with a drive or device prefix"),
            Self::ControlCharacter => write!(f, "contains a NUL or control character"),
            Self::ReservedName(n) => write!(f, "uses the reserved device name {n:?}"),
            Self::TrailingDotOrSpace => write!(f, "a component ends with a dot or a space"),
            Self::ForbiddenCharacter(c) => write!(f, "contains the forbidden character {c:?}"),
            Self::TooLong => write!(f, "too long or nested too deep"),
        }
    }
}

impl std::error::Error for UnsafeName {}

/// Turns a peer-supplied, `/`-separated name into a safe relative path.
///
/// The result has only normal components, so joining it onto a folder can
/// never leave that folder lexically. Symlinks on disk are handled by
/// [`place`].
pub fn sanitize(name: &str) -> Result<PathBuf, UnsafeName> {
    if name.is_empty() {
        return Err(UnsafeName::Empty);
    }
    if name.len() > MAX_PATH_BYTES {
        return Err(UnsafeName::TooLong);
    }
    if name.chars().any(is_control) {
        return Err(UnsafeName::ControlCharacter);
    }
    if name.starts_with('/') {
        return Err(UnsafeName::Absolute);
    }
    if name.contains('\\') {
        return Err(UnsafeName::Backslash);
    }
    let components: Vec<&str> = name.split('/').collect();
    if components.len() > MAX_DEPTH {
        return Err(UnsafeName::TooLong);
    }
    if has_drive_prefix(components[0]) {
        return Err(UnsafeName::DrivePrefix);
    }
    let mut path = PathBuf::new();
    for component in components {
        check_component(component)?;
        path.push(component);
    }
    Ok(path)
}

/// Like [`sanitize`], for a folder name: a trailing `/` is allowed.
pub fn sanitize_dir(name: &str) -> Result<PathBuf, UnsafeName> {
    sanitize(name.strip_suffix('/').unwrap_or(name))
}

fn is_control(c: char) -> bool {
    c.is_control()
}

fn has_drive_prefix(first: &str) -> bool {
    let bytes = first.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

fn check_component(component: &str) -> Result<(), UnsafeName> {
    match component {
        "" => return Err(UnsafeName::Empty),
        "." | ".." => return Err(UnsafeName::DotComponent),
        _ => {}
    }
    if component.len() > MAX_COMPONENT {
        return Err(UnsafeName::TooLong);
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Err(UnsafeName::TrailingDotOrSpace);
    }
    if let Some(reserved) = reserved_device_name(component) {
        return Err(UnsafeName::ReservedName(reserved));
    }
    let forbidden: &[char] = if cfg!(windows) {
        &['<', '>', ':', '"', '|', '?', '*']
    } else {
        &[]
    };
    if let Some(c) = component.chars().find(|c| forbidden.contains(c)) {
        return Err(UnsafeName::ForbiddenCharacter(c));
    }
    Ok(())
}

/// Returns the device name if `component` is one Windows reserves, with or
/// without an extension, in any case (`con`, `Aux.txt`, `COM1.tar.gz`).
fn reserved_device_name(component: &str) -> Option<String> {
    let stem = component.split('.').next().unwrap_or(component);
    let stem = stem.trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let reserved = match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let rest = upper
                .strip_prefix("COM")
                .or_else(|| upper.strip_prefix("LPT"));
            rest.is_some_and(|rest| {
                matches!(
                    rest,
                    "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
                )
            })
        }
    };
    reserved.then_some(upper)
}

/// Creates the parent folders of `rel` under `root`, refusing to pass
/// through a symlink or anything that is not a folder, and returns the
/// folder that will hold the file.
///
/// `root` itself is trusted: it is the folder the user chose.
pub fn create_parents(root: &Path, rel: &Path) -> io::Result<PathBuf> {
    let mut dir = root.to_path_buf();
    let Some(parent) = rel.parent() else {
        return Ok(dir);
    };
    for component in parent.components() {
        dir.push(component);
        ensure_real_dir(&dir)?;
    }
    Ok(dir)
}

/// Creates `rel` under `root` as a folder (for empty folders in a share).
pub fn create_dir(root: &Path, rel: &Path) -> io::Result<PathBuf> {
    let mut dir = root.to_path_buf();
    for component in rel.components() {
        dir.push(component);
        ensure_real_dir(&dir)?;
    }
    Ok(dir)
}

fn ensure_real_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("refusing to follow the symlink {}", dir.display()),
        )),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a folder", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(dir) {
            Ok(()) => Ok(()),
            // Lost a race with another writer: accept it only if it made a real folder.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let meta = std::fs::symlink_metadata(dir)?;
                if meta.is_dir() { Ok(()) } else { Err(e) }
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Candidate names for `file_name` in order: `a.txt`, `a (1).txt`, `a (2).txt`…
pub fn numbered_name(file_name: &str, n: u32) -> String {
    if n == 0 {
        return file_name.to_string();
    }
    // A leading dot starts a hidden name, not an extension.
    let split = file_name.rfind('.').filter(|i| *i > 0);
    match split {
        Some(i) => format!("{} ({n}){}", &file_name[..i], &file_name[i..]),
        None => format!("{file_name} ({n})"),
    }
}

/// Moves the finished file at `temp` to `dir/file_name`, or to the first
/// free numbered variant of it; never replaces anything that exists.
///
/// The check for an existing file and the move are one atomic step: a
/// rename that refuses to replace (`renameat2(RENAME_NOREPLACE)` on Linux,
/// `renamex_np(RENAME_EXCL)` on Apple systems), or else a hard link followed
/// by removal of the temporary name.
pub fn publish(temp: &Path, dir: &Path, file_name: &str) -> io::Result<PathBuf> {
    for n in 0..10_000 {
        let candidate = dir.join(numbered_name(file_name, n));
        match move_no_replace(temp, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {file_name} in {}", dir.display()),
    ))
}

/// Writes `data` as a new file `dir/file_name`, or the first free numbered
/// variant of it. The file appears only once complete and never replaces
/// anything.
///
/// On Linux the data goes into an anonymous file (`O_TMPFILE`) that is then
/// linked in under its name, one directory update per file. Elsewhere, or
/// where the file system lacks `O_TMPFILE`, a hidden temporary file is
/// written and [`publish`]ed.
pub fn write_new_file(dir: &Path, file_name: &str, data: &[u8]) -> io::Result<PathBuf> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match write_anonymous(dir, file_name, data) {
        Ok(path) => return Ok(path),
        Err(Fallback::No(e)) => return Err(e),
        Err(Fallback::Yes) => {}
    }
    let temp = dir.join(format!(".{file_name}.ferry-part"));
    let result = write_exclusive(&temp, data).and_then(|()| publish(&temp, dir, file_name));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes a whole file at a path that should not exist yet (a stale one from
/// an interrupted run is replaced).
pub fn write_exclusive(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    let mut file = match open() {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            open()?
        }
        Err(e) => return Err(e),
    };
    file.write_all(data)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
enum Fallback {
    /// This way is not available here; try the portable one.
    Yes,
    /// A real error (disk full, permissions): report it.
    No(io::Error),
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn write_anonymous(dir: &Path, file_name: &str, data: &[u8]) -> Result<PathBuf, Fallback> {
    use std::{io::Write, os::fd::AsRawFd};

    use rustix::{
        fs::{AtFlags, CWD, Mode, OFlags, linkat, openat},
        io::Errno,
    };
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    let fd = match openat(CWD, dir, flags, Mode::from_raw_mode(0o644)) {
        Ok(fd) => fd,
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => {
            return Err(Fallback::Yes);
        }
        Err(e) => return Err(Fallback::No(e.into())),
    };
    let mut file = std::fs::File::from(fd);
    file.write_all(data).map_err(Fallback::No)?;
    let handle = format!("/proc/self/fd/{}", file.as_raw_fd());
    for n in 0..10_000 {
        let candidate = dir.join(numbered_name(file_name, n));
        match linkat(
            CWD,
            handle.as_str(),
            CWD,
            &candidate,
            AtFlags::SYMLINK_FOLLOW,
        ) {
            Ok(()) => return Ok(candidate),
            Err(Errno::EXIST) => continue,
            // No /proc, or links not allowed here.
            Err(Errno::NOENT | Errno::PERM | Errno::OPNOTSUPP) => return Err(Fallback::Yes),
            Err(e) => return Err(Fallback::No(e.into())),
        }
    }
    Err(Fallback::No(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {file_name} in {}", dir.display()),
    )))
}

/// Renames `from` to `to`, failing with `AlreadyExists` if `to` exists.
fn move_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::EXIST) => {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            // Not supported by this kernel or file system: use links below.
            Err(
                rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP,
            ) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(link_error) => {
            // No hard links here either (some FAT or network file systems):
            // a checked rename, with a small race, is the last resort.
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            std::fs::rename(from, to).map_err(|_| link_error)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn accepts_plain_nested_and_unicode_names() {
        assert_eq!(sanitize("a.txt").unwrap(), PathBuf::from("a.txt"));
        assert_eq!(
            sanitize("trip/day 1/ö.jpg").unwrap(),
            PathBuf::from("trip/day 1/ö.jpg")
        );
        assert_eq!(sanitize(".hidden").unwrap(), PathBuf::from(".hidden"));
        assert_eq!(sanitize("a..b").unwrap(), PathBuf::from("a..b"));
    }

    #[test]
    fn rejects_every_escape() {
        let cases = [
            ("", UnsafeName::Empty),
            ("a//b", UnsafeName::Empty),
            ("a/", UnsafeName::Empty),
            ("/etc/passwd", UnsafeName::Absolute),
            ("..", UnsafeName::DotComponent),
            ("../x", UnsafeName::DotComponent),
            ("a/../../x", UnsafeName::DotComponent),
            ("./x", UnsafeName::DotComponent),
            ("..\\x", UnsafeName::Backslash),
            ("a\\b", UnsafeName::Backslash),
            ("C:/Windows/x", UnsafeName::DrivePrefix),
            ("c:x", UnsafeName::DrivePrefix),
            ("a\0b", UnsafeName::ControlCharacter),
            ("a\nb", UnsafeName::ControlCharacter),
            ("a\u{1b}[2J", UnsafeName::ControlCharacter),
            ("a\u{85}", UnsafeName::ControlCharacter),
            ("CON", UnsafeName::ReservedName("CON".into())),
            ("dir/aux.txt", UnsafeName::ReservedName("AUX".into())),
            ("lpt1.tar.gz", UnsafeName::ReservedName("LPT1".into())),
            ("com9", UnsafeName::ReservedName("COM9".into())),
            ("x.", UnsafeName::TrailingDotOrSpace),
            ("x ", UnsafeName::TrailingDotOrSpace),
        ];
        for (name, want) in cases {
            assert_eq!(sanitize(name), Err(want), "{name:?}");
        }
        assert_eq!(sanitize(&"a".repeat(256)), Err(UnsafeName::TooLong));
        assert_eq!(sanitize(&["a"; 65].join("/")), Err(UnsafeName::TooLong));
        assert!(sanitize("console.txt").is_ok());
        assert!(sanitize("com10").is_ok());
        assert!(sanitize("größe.txt").is_ok());
        assert!(sanitize("ö").is_ok());
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name("a.txt", 0), "a.txt");
        assert_eq!(numbered_name("a.txt", 1), "a (1).txt");
        assert_eq!(numbered_name("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(numbered_name("README", 1), "README (1)");
        assert_eq!(numbered_name(".bashrc", 1), ".bashrc (1)");
    }

    #[cfg(unix)]
    #[test]
    fn publish_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"old").unwrap();
        let temp = dir.path().join("t1");
        std::fs::write(&temp, b"new").unwrap();
        let placed = publish(&temp, dir.path(), "a.txt").unwrap();
        assert_eq!(placed, dir.path().join("a (1).txt"));
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"old");
        assert_eq!(std::fs::read(&placed).unwrap(), b"new");
        assert!(!temp.exists());
        // A dangling symlink counts as taken too.
        std::os::unix::fs::symlink("/nonexistent", dir.path().join("b.txt")).unwrap();
        std::fs::write(&temp, b"newer").unwrap();
        let placed = publish(&temp, dir.path(), "b.txt").unwrap();
        assert_eq!(placed, dir.path().join("b (1).txt"));
    }

    #[test]
    fn new_files_never_overwrite_and_leave_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("n.txt"), b"mine").unwrap();
        let first = write_new_file(dir.path(), "n.txt", b"one").unwrap();
        let second = write_new_file(dir.path(), "n.txt", b"two").unwrap();
        assert_eq!(first, dir.path().join("n (1).txt"));
        assert_eq!(second, dir.path().join("n (2).txt"));
        assert_eq!(std::fs::read(dir.path().join("n.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_to_pass_through_symlinks() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        let err = create_parents(root.path(), Path::new("link/x.txt")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
