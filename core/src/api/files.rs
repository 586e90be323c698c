//! The API's files in the data dir: the bearer token every request needs
//! (`api-token`, readable by its owner only), the Unix socket (`api.sock`)
//! and where the running server listens (`api.json`).

use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The bearer token's file name.
pub const TOKEN_FILE: &str = "api-token";
/// The Unix socket's file name.
pub const SOCKET_FILE: &str = "api.sock";
/// The running server's addresses.
pub const ENDPOINT_FILE: &str = "api.json";

/// Where a running node's API can be reached, as written to `api.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiEndpoint {
    /// The HTTP address (`POST http://ADDR/rpc`), if it serves HTTP.
    pub http: Option<SocketAddr>,
    /// The Unix socket, if it serves one.
    pub socket: Option<PathBuf>,
    /// The serving process.
    pub pid: u32,
}

impl ApiEndpoint {
    /// Reads `api.json` from a data dir; None if there is none (no node
    /// serves it) or it cannot be read.
    pub fn read(data_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(data_dir.join(ENDPOINT_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub(crate) fn write(&self, data_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(&data_dir.join(ENDPOINT_FILE), text.as_bytes())
    }
}

/// The token: 32 random bytes as 64 hex digits. An existing valid token is
/// kept (scripts may have read it); a missing or damaged one is replaced.
/// The file is made readable by its owner only either way.
pub fn load_or_create_token(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join(TOKEN_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let token = text.trim();
        if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
            restrict(&path)?;
            return Ok(token.to_ascii_lowercase());
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = data_encoding::HEXLOWER.encode(&bytes);
    write_private(&path, token.as_bytes())?;
    Ok(token)
}

/// Reads the token of a data dir, for clients.
pub fn read_token(data_dir: &Path) -> std::io::Result<String> {
    Ok(std::fs::read_to_string(data_dir.join(TOKEN_FILE))?
        .trim()
        .to_string())
}

/// Compares tokens in time that does not depend on where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Writes a whole file readable by its owner only, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode != 0o600 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_token_is_made_once_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let token = load_or_create_token(dir.path()).unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(load_or_create_token(dir.path()).unwrap(), token);
        assert_eq!(read_token(dir.path()).unwrap(), token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir.path().join(TOKEN_FILE);
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&file), 0o600);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(load_or_create_token(dir.path()).unwrap(), token);
            assert_eq!(mode(&file), 0o600);
        }
        std::fs::write(dir.path().join(TOKEN_FILE), "short").unwrap();
        let fresh = load_or_create_token(dir.path()).unwrap();
        assert_ne!(fresh, token);
        assert_eq!(fresh.len(), 64);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abcd", "abcd"));
        assert!(!same_token("abcd", "abce"));
        assert!(!same_token("abcd", "abc"));
        assert!(!same_token("", "a"));
    }
}
