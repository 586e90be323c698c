//! The offer: what one request learns of a share before anything is
//! written (names, sizes, small files whole).

use super::*;

/// Fetches the hash sequence, the names, and of every file the first chunk
/// group and the last chunk.
pub(super) async fn fetch_collection_offer(
    conn: &Connection,
    root: Hash,
    text_entry: Option<u32>,
) -> Result<(Vec<Child>, Option<usize>, u64), ReceiveError> {
    let request = GetRequest::new(
        root,
        ChunkRangesSeq::from_ranges_infinite([
            ChunkRanges::all(),
            ChunkRanges::all(),
            // The first group makes a small file whole; the last chunk proves the size.
            ChunkRanges::from(..ChunkNum(GROUP / 1024)) | ChunkRanges::last_chunk(),
        ]),
    );
    let connected = fsm::start(conn.clone(), request, Default::default())
        .next()
        .await
        .map_err(net_error)?;
    let ConnectedNext::StartRoot(start) = connected.next().await.map_err(net_error)? else {
        return Err(ReceiveError::Protocol("the sender skipped the root".into()));
    };
    let (content, size) = start.next().next().await.map_err(|e| match e {
        fsm::AtBlobHeaderNextError::NotFound { .. } => {
            ReceiveError::NotFound("the shared collection".into())
        }
        other => net_error(other),
    })?;
    if size > MAX_HASH_SEQ || size % 32 != 0 {
        return Err(ReceiveError::Protocol(format!(
            "a hash sequence of {size} bytes"
        )));
    }
    let (mut at_end, seq) = content
        .concatenate_into_vec()
        .await
        .map_err(|e| decode_error("the collection", e))?;
    let seq =
        HashSeq::try_from(Bytes::from(seq)).map_err(|e| ReceiveError::Protocol(e.to_string()))?;
    let hashes: Vec<Hash> = seq.iter().collect();
    let Some(meta_hash) = hashes.first().copied() else {
        return Err(ReceiveError::Protocol("an empty hash sequence".into()));
    };
    let count = hashes.len() - 1;
    let mut names: Option<Vec<String>> = None;
    let mut children: Vec<Child> = Vec::with_capacity(count);
    let mut transferred = 0u64;
    let mut kept = 0usize;
    let closing = loop {
        match at_end.next() {
            EndBlobNext::MoreChildren(child) => {
                let offset = child.offset();
                if offset == 1 {
                    let (content, size) = child.next(meta_hash).next().await.map_err(net_error)?;
                    if size > MAX_META {
                        return Err(ReceiveError::Protocol(format!(
                            "a name list of {size} bytes"
                        )));
                    }
                    let (next, meta) = content
                        .concatenate_into_vec()
                        .await
                        .map_err(|e| decode_error("the name list", e))?;
                    let meta: CollectionMeta = postcard::from_bytes(&meta)
                        .map_err(|e| ReceiveError::Protocol(format!("the name list: {e}")))?;
                    if !meta.check_header() || meta.names().len() != count {
                        return Err(ReceiveError::Protocol(
                            "the name list does not match the content".into(),
                        ));
                    }
                    names = Some(meta.names().to_vec());
                    at_end = next;
                    continue;
                }
                let index = (offset - 2) as usize;
                let (Some(names), Some(hash)) = (&names, hashes.get(index + 1)) else {
                    break child.finish();
                };
                let (content, size) = child.next(*hash).next().await.map_err(net_error)?;
                let (next, tail) = content
                    .concatenate_into_vec()
                    .await
                    .map_err(|e| decode_error(&names[index], e))?;
                transferred += tail.len() as u64;
                let whole = tail.len() as u64 == size;
                let keep_text = text_entry == Some(index as u32) && size <= MAX_TEXT;
                let content = if whole && (keep_text || kept + tail.len() <= SMALL_FILE_BUDGET) {
                    kept += tail.len();
                    Some(Bytes::from(tail))
                } else {
                    None
                };
                children.push(Child {
                    hash: *hash,
                    raw_name: names[index].clone(),
                    size,
                    content,
                });
                at_end = next;
            }
            EndBlobNext::Closing(closing) => break closing,
        }
    };
    closing.next().await.map_err(net_error)?;
    if children.len() != count {
        return Err(ReceiveError::NotFound(format!(
            "{} of {count} files",
            count - children.len()
        )));
    }
    let text_index = text_entry.map(|i| i as usize).filter(|i| *i < count);
    // A text snippet larger than one chunk group is fetched on its own.
    if let Some(i) = text_index
        && children[i].content.is_none()
        && children[i].size <= MAX_TEXT
    {
        let bytes = iroh_blobs::get::request::get_blob(conn.clone(), children[i].hash)
            .bytes()
            .await
            .map_err(net_error)?;
        transferred += bytes.len() as u64;
        children[i].content = Some(bytes);
    }
    Ok((children, text_index, transferred))
}

/// A plain blob ticket: one file, named after its hash.
pub(super) async fn fetch_blob_offer(
    conn: &Connection,
    hash: Hash,
) -> Result<(Vec<Child>, Option<usize>, u64), ReceiveError> {
    let (size, _) = iroh_blobs::get::request::get_verified_size(conn, &hash)
        .await
        .map_err(|e| match stream_failure(&e) {
            Some(_) => net_error(e),
            None => ReceiveError::NotFound(e.to_string()),
        })?;
    let child = Child {
        hash,
        raw_name: format!("{}.bin", hash.fmt_short()),
        size,
        content: None,
    };
    Ok((vec![child], None, 0))
}

/// Sends the empty request that marks the end of a download.
pub(super) async fn close_request(conn: &Connection, root: Hash) {
    let request = GetRequest::new(root, ChunkRangesSeq::empty());
    let done = async {
        let connected = fsm::start(conn.clone(), request, Default::default())
            .next()
            .await
            .ok()?;
        if let Ok(ConnectedNext::Closing(closing)) = connected.next().await {
            closing.next().await.ok();
        }
        Some(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
}
