//! Mapping peer-supplied names to paths inside a target folder.
//!
//! Every name that arrives from a peer is hostile. [`sanitize`] is the one
//! place that decides whether a name may become a path on this device: it
//! either returns a relative path made only of plain components, or rejects
//! the name with the reason. Names Ferry uses for its own bookkeeping
//! (partial downloads, temp files) are refused too, so that no peer can
//! reach that state. [`create_parents`] then creates the folders of that
//! path under the target without following symlinks out of it, and
//! [`publish`] and [`write_new_file`] pick a free file name so that nothing
//! existing is ever overwritten.
//!
//! Durability: the functions that place a file sync its data before it
//! gets its final name; the caller syncs the folder afterwards
//! ([`sync_dir`]), once per batch of files, before it reports them done.

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
    /// The name contains an invisible format character (Unicode category
    /// Cf), such as a right-to-left override that makes `exe.txt` of
    /// `txt.exe`.
    FormatCharacter(char),
    /// A component is a name Ferry keeps for its own files
    /// (`.ferry-partial`, temp files).
    FerryName(String),
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
            Self::FormatCharacter(c) => write!(
                f,
                "contains the invisible format character U+{:04X}",
                u32::from(*c)
            ),
            Self::FerryName(n) => write!(f, "uses {n:?}, a name Ferry keeps for its own files"),
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
/// [`create_parents`].
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
    if let Some(c) = name.chars().find(|c| is_format(*c)) {
        return Err(UnsafeName::FormatCharacter(c));
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

/// Whether `c` is an invisible format character (Unicode general category
/// Cf): bidirectional overrides and isolates, zero-width characters, the
/// soft hyphen, tags. They make a name look like another one.
pub(crate) fn is_format(c: char) -> bool {
    use icu_properties::{CodePointMapData, props::GeneralCategory};
    CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
}

/// The prefix of the names Ferry gives its own folders and temp files
/// (`.ferry-partial`, the collection mirror's `.ferry-tmp-…`).
const FERRY_PREFIX: &str = ".ferry-";
/// The suffix of the temp file [`write_new_file`] writes where it cannot
/// write an anonymous one.
const FERRY_TEMP_SUFFIX: &str = ".ferry-part";

/// Whether `component` is a name Ferry keeps for its own bookkeeping.
/// Case does not matter: some file systems ignore it.
pub fn is_ferry_name(component: &str) -> bool {
    let lower = component.to_ascii_lowercase();
    lower.starts_with(FERRY_PREFIX) || lower.ends_with(FERRY_TEMP_SUFFIX)
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
    if is_ferry_name(component) {
        return Err(UnsafeName::FerryName(component.to_string()));
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
///
/// A numbered name stays within [`MAX_COMPONENT`] bytes: the stem is cut
/// (on a character boundary) to make room for the number, and so is the
/// extension when it alone leaves none.
pub fn numbered_name(file_name: &str, n: u32) -> String {
    if n == 0 {
        return file_name.to_string();
    }
    // A leading dot starts a hidden name, not an extension.
    let split = file_name.rfind('.').filter(|i| *i > 0);
    let (stem, ext) = match split {
        Some(i) => (&file_name[..i], &file_name[i..]),
        None => (file_name, ""),
    };
    let number = format!(" ({n})");
    let room = MAX_COMPONENT.saturating_sub(number.len());
    let ext = if ext.len() >= room { "" } else { ext };
    let stem = cut_to(stem, room - ext.len());
    let stem = if stem.is_empty() { "file" } else { stem };
    format!("{stem}{number}{ext}")
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
fn cut_to(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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
/// anything; its data is synced to disk before it appears (sync `dir`
/// afterwards with [`sync_dir`] to make the name durable too).
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
    let temp = dir.join(format!(".{file_name}{FERRY_TEMP_SUFFIX}"));
    let result = write_exclusive(&temp, data).and_then(|()| publish(&temp, dir, file_name));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes a whole file at a path that should not exist yet (a stale one from
/// an interrupted run is replaced) and syncs its data.
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
    file.write_all(data)?;
    file.sync_data()
}

/// Syncs a folder, so that the names just placed in it (or removed from it)
/// survive a power cut. A no-op where folders cannot be opened (Windows).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Opens a partial file for reading and writing, creating it if needed,
/// without following a symlink at `path`; anything there that is not a
/// regular file is refused.
pub fn open_partial(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Also keeps a FIFO planted here from blocking the open.
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(not_a_file(path));
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
        if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return not_a_file(path);
        }
        e
    })?;
    if !file.metadata()?.is_file() {
        return Err(not_a_file(path));
    }
    Ok(file)
}

fn not_a_file(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "refusing to follow {}: it is a symlink or not a regular file",
            path.display()
        ),
    )
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
    let file = open_anonymous(dir, data)?;
    file.sync_data().map_err(Fallback::No)?;
    link_anonymous(&file, dir, file_name)
}

/// An anonymous file (`O_TMPFILE`) in `dir` holding `data`, not synced.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_anonymous(dir: &Path, data: &[u8]) -> Result<std::fs::File, Fallback> {
    use std::io::Write;

    use rustix::{
        fs::{CWD, Mode, OFlags, openat},
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
    Ok(file)
}

/// Links an anonymous file in as `dir/file_name` or the first free
/// numbered variant.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn link_anonymous(file: &std::fs::File, dir: &Path, file_name: &str) -> Result<PathBuf, Fallback> {
    use std::os::fd::AsRawFd;

    use rustix::{
        fs::{AtFlags, CWD, linkat},
        io::Errno,
    };
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

/// One small file for [`write_new_files`]: its folder, name and content.
#[derive(Debug, Clone, Copy)]
pub struct NewFile<'a> {
    /// The folder (already created).
    pub dir: &'a Path,
    /// The name it should get, or a numbered variant of it.
    pub file_name: &'a str,
    /// The whole content.
    pub data: &'a [u8],
}

/// Writes many small files as [`write_new_file`] does, cheaper: on Linux
/// each goes into an anonymous file, then one `syncfs` per file system
/// makes all their data durable, and only then is each linked in under its
/// name. A sync per file would cost a disk cache flush per file. Returns
/// where each landed, in order; sync the folders afterwards.
pub fn write_new_files(files: &[NewFile<'_>]) -> io::Result<Vec<PathBuf>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::fs::MetadataExt;
        let mut anonymous = Vec::with_capacity(files.len());
        for file in files {
            match open_anonymous(file.dir, file.data) {
                Ok(f) => anonymous.push(Some(f)),
                Err(Fallback::Yes) => anonymous.push(None),
                Err(Fallback::No(e)) => return Err(e),
            }
        }
        let mut synced = std::collections::HashSet::new();
        for f in anonymous.iter().flatten() {
            if synced.insert(f.metadata()?.dev()) {
                rustix::fs::syncfs(f)?;
            }
        }
        let mut placed = Vec::with_capacity(files.len());
        for (file, anon) in files.iter().zip(&anonymous) {
            let linked = match anon {
                Some(f) => link_anonymous(f, file.dir, file.file_name),
                None => Err(Fallback::Yes),
            };
            match linked {
                Ok(path) => placed.push(path),
                Err(Fallback::No(e)) => return Err(e),
                Err(Fallback::Yes) => {
                    placed.push(write_new_file(file.dir, file.file_name, file.data)?)
                }
            }
        }
        Ok(placed)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    files
        .iter()
        .map(|f| write_new_file(f.dir, f.file_name, f.data))
        .collect()
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
    fn refuses_invisible_format_characters() {
        // Bidirectional embeddings, overrides and isolates, zero-width
        // characters, the word joiner, the byte order mark, the soft hyphen,
        // Arabic and Syriac marks, and tags: all of Unicode's category Cf.
        let format = [
            '\u{AD}',
            '\u{600}',
            '\u{605}',
            '\u{61C}',
            '\u{6DD}',
            '\u{70F}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{110BD}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
        ];
        for c in format {
            let name = format!("invoice{c}fdp.exe");
            assert_eq!(
                sanitize(&name),
                Err(UnsafeName::FormatCharacter(c)),
                "U+{:04X}",
                u32::from(c)
            );
            assert!(sanitize_dir(&format!("dir{c}/")).is_err());
        }
        let shown = UnsafeName::FormatCharacter('\u{202E}').to_string();
        assert!(shown.contains("U+202E"), "{shown}");
        // Letters, combining marks and spaces of every script stay allowed.
        for name in [
            "עברית.txt",
            "العربية.pdf",
            "नमस्ते",
            "e\u{301}te\u{301}.txt",
            "a\u{3000}b",
            "👩💻",
        ] {
            assert!(sanitize(name).is_ok(), "{name}");
        }
        // A zero-width joiner is a format character too, even inside an emoji.
        assert!(sanitize("👩\u{200D}💻").is_err());
    }

    #[test]
    fn the_format_table_is_exactly_category_cf() {
        // Unicode 16 lists 170 format characters in 21 ranges.
        let ranges: [(u32, u32); 21] = [
            (0xAD, 0xAD),
            (0x600, 0x605),
            (0x61C, 0x61C),
            (0x6DD, 0x6DD),
            (0x70F, 0x70F),
            (0x890, 0x891),
            (0x8E2, 0x8E2),
            (0x180E, 0x180E),
            (0x200B, 0x200F),
            (0x202A, 0x202E),
            (0x2060, 0x2064),
            (0x2066, 0x206F),
            (0xFEFF, 0xFEFF),
            (0xFFF9, 0xFFFB),
            (0x110BD, 0x110BD),
            (0x110CD, 0x110CD),
            (0x13430, 0x1343F),
            (0x1BCA0, 0x1BCA3),
            (0x1D173, 0x1D17A),
            (0xE0001, 0xE0001),
            (0xE0020, 0xE007F),
        ];
        let listed = |c: u32| ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c));
        let mut count = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_format(c), listed(u32::from(c)), "U+{:04X}", u32::from(c));
            count += usize::from(is_format(c));
        }
        assert_eq!(count, 170);
    }

    #[test]
    fn refuses_the_names_ferry_keeps_for_itself() {
        for name in [
            ".ferry-partial",
            ".ferry-partial/0123abcd.part",
            "photos/.ferry-partial/x.part",
            ".FERRY-Partial/x",
            ".ferry-tmp-00ff00ff00ff00ff",
            "sub/.ferry-tmp-1",
            ".a.txt.ferry-part",
            "sub/.notes.md.FERRY-PART",
        ] {
            let refused = sanitize(name);
            assert!(
                matches!(refused, Err(UnsafeName::FerryName(_))),
                "{name}: {refused:?}"
            );
        }
        assert!(sanitize_dir(".ferry-partial/").is_err());
        let shown = sanitize(".ferry-partial/x.part").unwrap_err().to_string();
        assert!(shown.contains("Ferry keeps"), "{shown}");
        // Lookalikes that are not Ferry's own stay allowed.
        for name in [
            ".ferryignore",
            "ferry-partial",
            "a.ferry-part.txt",
            ".ferry",
            "x.part",
        ] {
            assert!(sanitize(name).is_ok(), "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn partial_files_are_never_opened_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.path().join("x.part");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open_partial(&link).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        let dangling = dir.path().join("y.part");
        std::os::unix::fs::symlink(outside.path().join("new"), &dangling).unwrap();
        assert!(open_partial(&dangling).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
        assert!(!outside.path().join("new").exists());
        // A regular file opens, and is created when missing.
        let fresh = dir.path().join("z.part");
        open_partial(&fresh).unwrap();
        assert!(fresh.is_file());
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name("a.txt", 0), "a.txt");
        assert_eq!(numbered_name("a.txt", 1), "a (1).txt");
        assert_eq!(numbered_name("a.tar.gz", 2), "a.tar (2).gz");
        assert_eq!(numbered_name("README", 1), "README (1)");
        assert_eq!(numbered_name(".bashrc", 1), ".bashrc (1)");
        // A name at the longest a component may be still gets numbers
        // that fit, cut on a character boundary, the extension kept.
        let long = format!("{}.jpg", "ö".repeat(125));
        assert_eq!(long.len(), 254);
        for n in [1, 10, 9999] {
            let numbered = numbered_name(&long, n);
            assert!(numbered.len() <= MAX_COMPONENT, "{}", numbered.len());
            assert!(numbered.ends_with(&format!(" ({n}).jpg")), "{numbered}");
            assert!(sanitize(&numbered).is_ok(), "{numbered}");
        }
        let no_room_for_ext = format!("a.{}", "x".repeat(252));
        let numbered = numbered_name(&no_room_for_ext, 3);
        assert!(numbered.len() <= MAX_COMPONENT && numbered.ends_with(" (3)"));
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
        // A taken name of the longest length still finds a free one.
        let long = format!("{}.bin", "l".repeat(251));
        std::fs::write(dir.path().join(&long), b"old").unwrap();
        std::fs::write(&temp, b"long").unwrap();
        let placed = publish(&temp, dir.path(), &long).unwrap();
        assert_eq!(std::fs::read(&placed).unwrap(), b"long");
        assert_eq!(std::fs::read(dir.path().join(&long)).unwrap(), b"old");
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

    #[test]
    fn many_new_files_never_overwrite_and_land_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(dir.path().join("a.txt"), b"mine").unwrap();
        let files = [
            NewFile {
                dir: dir.path(),
                file_name: "a.txt",
                data: b"one",
            },
            NewFile {
                dir: &sub,
                file_name: "b.txt",
                data: b"two",
            },
            NewFile {
                dir: dir.path(),
                file_name: "a.txt",
                data: b"three",
            },
        ];
        let placed = write_new_files(&files).unwrap();
        assert_eq!(
            placed,
            [
                dir.path().join("a (1).txt"),
                sub.join("b.txt"),
                dir.path().join("a (2).txt")
            ]
        );
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(&placed[2]).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
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
