//! Partial files: a resumed file's kept bytes are proven against the
//! content's hash tree before anything is added to them.

use super::*;

/// Writes verified leaves of one file, in order, through a buffer, after
/// proving the bytes an earlier run left in it.
///
/// Proof: a response for the bytes from `kept` on starts with the parent
/// nodes on the path from the root to byte `kept`. The left child of each
/// such node that lies wholly before `kept` is a subtree of kept bytes;
/// taken from the root down they tile `0..kept` exactly. Each is hashed
/// from the file and compared with the (verified) hash its parent carries,
/// before the first leaf is written.
pub(super) struct PartialWriter {
    file: BufWriter<File>,
    pos: u64,
    /// Bytes kept from an earlier run.
    kept: u64,
    /// How many of them, from the start, match the hashes seen so far.
    proven: u64,
    /// Whether the check is over (a leaf arrived, or the file was emptied).
    checked: bool,
}

impl PartialWriter {
    pub(super) fn open(path: &Path, from: u64) -> io::Result<Self> {
        let mut file = safe_path::open_partial(path)?;
        file.set_len(from)?;
        file.seek(SeekFrom::Start(from))?;
        Ok(Self {
            file: BufWriter::with_capacity(1024 * 1024, file),
            pos: from,
            kept: from,
            proven: 0,
            checked: from == 0,
        })
    }

    /// Checks the kept bytes under `parent`'s left child, when that child
    /// is the next piece of them; false if they do not match.
    pub(super) fn check_parent(&mut self, parent: &Parent) -> io::Result<bool> {
        if self.checked || self.proven >= self.kept {
            return Ok(true);
        }
        let start = parent.node.chunk_range().start.to_bytes();
        let mid = parent.node.mid().to_bytes();
        if start != self.proven || mid > self.kept {
            // Not a piece of the kept bytes (the path goes left here).
            return Ok(true);
        }
        let file = self.file.get_mut();
        let hash = subtree_hash(file, start, mid)?;
        file.seek(SeekFrom::Start(self.pos))?;
        if hash == Some(parent.pair.0) {
            self.proven = mid;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Whether every kept byte before the first leaf (at `offset`) is
    /// proven; kept bytes from `offset` on are overwritten with verified
    /// ones.
    pub(super) fn check_leaf(&mut self, offset: u64) -> bool {
        if self.checked {
            return true;
        }
        self.checked = true;
        self.proven >= self.kept.min(offset)
    }

    /// Whether the kept bytes are proven (for a response without leaves).
    pub(super) fn kept_proven(&self) -> bool {
        self.checked || self.proven >= self.kept
    }

    /// Empties the file: none of its kept bytes are kept.
    pub(super) fn discard(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        self.pos = 0;
        self.kept = 0;
        self.proven = 0;
        self.checked = true;
        Ok(())
    }

    pub(super) fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset != self.pos {
            self.file.seek(SeekFrom::Start(offset))?;
        }
        self.file.write_all(data)?;
        self.pos = offset + data.len() as u64;
        Ok(())
    }

    /// Checks the length and syncs the data, so that the file can take its
    /// final name.
    pub(super) fn finish(mut self, size: u64) -> io::Result<()> {
        self.file.flush()?;
        let file = self.file.get_mut();
        let len = file.metadata()?.len();
        if len != size {
            return Err(io::Error::other(format!(
                "wrote {len} of {size} bytes; the file is not complete"
            )));
        }
        file.sync_data()
    }
}

/// The BLAKE3 chaining value of the subtree of a file's bytes
/// `start..end` (a subtree of the whole file's tree, never its root);
/// `None` if the file is shorter.
pub(super) fn subtree_hash(
    file: &mut File,
    start: u64,
    end: u64,
) -> io::Result<Option<blake3::Hash>> {
    use blake3::hazmat::HasherExt;
    if end <= start || !start.is_multiple_of(1024) {
        return Ok(None);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(start);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = end - start;
    while left > 0 {
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match file.read_exact(&mut buf[..n]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(Some(blake3::Hash::from(hasher.finalize_non_root())))
}
