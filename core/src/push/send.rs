//! The pushing side: `Node::push` serves a share to one device, offers
//! it, and relays the answer and the receiver's progress.

use super::*;

impl Node {
    /// Pushes to a paired device, named by name or id prefix. Emits
    /// [`Event::PushAccepted`] and [`Event::PushProgress`] on the way.
    pub async fn push(&self, device: &str, request: PushRequest) -> Result<PushReport, PushError> {
        let device = self.devices().find(device)?;
        let addr = device
            .endpoint_addr()
            .ok_or_else(|| DeviceError::NotFound(device.id.clone()))?;
        self.push_to(addr, &device.name, request).await
    }

    /// Pushes to a device at a known address, paired or not (a device that
    /// does not trust this one refuses).
    pub async fn push_to(
        &self,
        addr: EndpointAddr,
        name: &str,
        request: PushRequest,
    ) -> Result<PushReport, PushError> {
        let to = DeviceRef {
            id: addr.id.to_string(),
            name: name.to_string(),
        };
        if request.paths.is_empty() && request.text.is_none() {
            return Err(ShareError::Empty.into());
        }
        let share = if request.paths.is_empty() {
            None
        } else {
            Some(
                self.shares()
                    .create_for(
                        ShareRequest {
                            paths: request.paths.clone(),
                            text: None,
                        },
                        Some(addr.id),
                    )
                    .await?,
            )
        };
        // Served to the device while the push runs, and not after: also
        // when the push is dropped half-way (a cancelled operation).
        let _grant = share.as_ref().map(|s| PushGrant {
            node: self.clone(),
            root: s.root,
            peer: addr.id,
        });
        self.offer_share(addr, &to, share.as_ref(), request.text)
            .await
    }

    async fn offer_share(
        &self,
        addr: EndpointAddr,
        to: &DeviceRef,
        share: Option<&crate::shares::Share>,
        text: Option<String>,
    ) -> Result<PushReport, PushError> {
        let inner = &self.inner;
        let network = |message: String| PushError::Network {
            device: to.name.clone(),
            message,
        };
        let conn = net::dial(&inner.endpoint, addr, ALPN).await.map_err(|e| {
            PushError::Offline(e.explained(&to.name, &inner.endpoint, &inner.reach))
        })?;
        let refused = |conn: &Connection| -> Option<PushError> {
            match conn.close_reason() {
                Some(iroh::endpoint::ConnectionError::ApplicationClosed(c))
                    if c.error_code == net::NOT_PAIRED.into() =>
                {
                    Some(PushError::NotTrusted(to.name.clone()))
                }
                _ => None,
            }
        };
        let own = net::ticket_addr_when_ready(&inner.endpoint, inner.relays).await;
        let offer = OfferMsg {
            addrs: own.ip_addrs().copied().collect(),
            relay: own.relay_urls().next().cloned(),
            root: share.map(|s| s.root),
            files: share.map_or(0, |s| s.files),
            bytes: share.map_or(0, |s| s.bytes),
            names: share
                .map(|s| {
                    s.entries
                        .iter()
                        .take(MAX_NAMES)
                        .map(|(n, _)| n.clone())
                        .collect()
                })
                .unwrap_or_default(),
            text,
        };
        let opened = async {
            let (mut send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
            frame::write(&mut send, &offer).await?;
            Ok::<_, String>((send, recv))
        }
        .await;
        let (mut send, mut recv) = match opened {
            Ok(pair) => pair,
            Err(e) => return Err(refused(&conn).unwrap_or_else(|| network(e))),
        };
        inner.events.emit(Event::PushOffered { to: to.clone() });
        let first = frame::read::<Reply>(&mut recv).await;
        match first {
            Ok(Some(Reply::Accepted)) => {
                inner.events.emit(Event::PushAccepted { to: to.clone() });
            }
            Ok(Some(Reply::Rejected { reason })) => {
                conn.close(0u32.into(), b"bye");
                return Err(PushError::Rejected {
                    device: to.name.clone(),
                    reason,
                });
            }
            Ok(_) => return Err(network("the other device broke the protocol".into())),
            Err(e) => return Err(refused(&conn).unwrap_or_else(|| network(e))),
        }
        let result = loop {
            match frame::read::<Reply>(&mut recv).await {
                Ok(Some(Reply::Progress {
                    bytes_done,
                    bytes_total,
                })) => inner.events.emit(Event::PushProgress {
                    to: to.clone(),
                    bytes_done,
                    bytes_total,
                }),
                Ok(Some(Reply::Done {
                    files,
                    bytes,
                    bytes_transferred,
                })) => {
                    break Ok(PushReport {
                        files,
                        bytes,
                        bytes_transferred,
                    });
                }
                Ok(Some(Reply::Failed { message })) => {
                    break Err(PushError::Failed {
                        device: to.name.clone(),
                        message,
                    });
                }
                Ok(Some(_)) => continue,
                Ok(None) => break Err(network("the other device hung up".into())),
                Err(e) => break Err(network(e)),
            }
        };
        let _ = send.finish();
        // Dial it where it answered first next time (a stale address or a
        // relay learnt late costs the handshake a retransmission, a second).
        if let Ok(Some(mut device)) = inner.db.device(&to.id) {
            crate::health::remember_route(&inner.db, &mut device, &conn);
        }
        conn.close(0u32.into(), b"bye");
        debug!(to = %to.name, ok = result.is_ok(), "push finished");
        result
    }
}

/// A push's share, stopped when the push ends however it ends.
struct PushGrant {
    node: Node,
    root: Hash,
    peer: EndpointId,
}

impl Drop for PushGrant {
    fn drop(&mut self) {
        self.node.shares().stop_for(&self.root, self.peer);
    }
}
