//! Length-prefixed postcard frames on a QUIC stream: a 4-byte big-endian
//! length, then the message. Ferry's own protocols all speak this.

use iroh::endpoint::{RecvStream, SendStream};
use serde::{Serialize, de::DeserializeOwned};

/// The largest frame accepted from a peer.
pub(crate) const MAX_FRAME: usize = 1 << 20;

/// Writes one frame.
pub(crate) async fn write<T: Serialize>(send: &mut SendStream, msg: &T) -> Result<(), String> {
    let body = postcard::to_stdvec(msg).map_err(|e| e.to_string())?;
    let len = u32::try_from(body.len()).map_err(|_| "a frame is too large".to_string())?;
    send.write_all(&len.to_be_bytes())
        .await
        .map_err(|e| e.to_string())?;
    send.write_all(&body).await.map_err(|e| e.to_string())
}

/// Reads one frame; `Ok(None)` when the stream ended cleanly.
pub(crate) async fn read<T: DeserializeOwned>(recv: &mut RecvStream) -> Result<Option<T>, String> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len).await {
        Ok(()) => {}
        Err(iroh::endpoint::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(format!("a frame of {len} bytes"));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| e.to_string())?;
    decode(&body).map(Some)
}

/// Decodes one frame's body: exactly one message, nothing after it (a
/// frame is what one `write` sends, so anything more is not a Ferry peer's).
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let (msg, rest) = postcard::take_from_bytes(body).map_err(|e| e.to_string())?;
    if rest.is_empty() {
        Ok(msg)
    } else {
        Err(format!("{} bytes after the message", rest.len()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_frame_body_holds_one_message_and_nothing_more() {
        let body = postcard::to_stdvec(&("offer", 7u32)).unwrap();
        assert_eq!(decode::<(String, u32)>(&body).unwrap(), ("offer".into(), 7));
        let longer = [body.as_slice(), &[0]].concat();
        assert!(
            decode::<(String, u32)>(&longer)
                .unwrap_err()
                .contains("1 bytes after")
        );
        assert!(decode::<(String, u32)>(&body[..body.len() - 1]).is_err());
    }
}
