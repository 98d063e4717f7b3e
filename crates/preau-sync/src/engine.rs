//! One sync: push the pending changes in batches, pull the server's records after the
//! saved cursor in pages, fetch newer reference data, apply what was pulled.

use std::collections::VecDeque;
use std::time::Duration;

use preau_core::sync::{
    Acknowledged, IncomingConflict, IncomingRecord, OutgoingChange, RefusedChange,
};
use preau_core::Store;
use preau_protocol::{AckStatus, ReferenceVersion, MAX_BATCH_CHANGES, MAX_PAGE_RECORDS};
use uuid::Uuid;

use crate::client::WireChange;
use crate::{account, Client, Error, Result};

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Changes per push batch.
    pub batch_size: usize,
    /// Records per pull page.
    pub page_size: u32,
    /// Attempts per request before giving up (transport errors, 5xx).
    pub max_attempts: u32,
    /// First retry delay; doubled at each attempt, capped at `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub request_timeout: Duration,
    /// Allow `http://` to a non-loopback server (a test bench, a trusted network).
    pub allow_plain_http: bool,
    /// Root certificates trusted besides the system's (DER): a syndicate serving HTTPS
    /// with its own CA, or a test's self-signed one.
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            // The protocol's limits: fewer round trips and commits (a push batch is cut
            // further if its body would exceed the server's limit).
            batch_size: MAX_BATCH_CHANGES,
            page_size: MAX_PAGE_RECORDS,
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            request_timeout: Duration::from_secs(60),
            allow_plain_http: false,
            extra_roots: Vec::new(),
        }
    }
}

/// Where a sync is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `done` of `total` local changes pushed.
    Pushing {
        done: usize,
        total: usize,
    },
    /// Records received so far, of `total` (0 when the server does not say).
    Pulling {
        received: usize,
        total: usize,
    },
    /// A reference data set downloaded.
    Reference,
    Applying,
    /// A request failed; retrying after a pause.
    Retrying {
        attempt: u32,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    /// Pushed changes the server had already (a resumed sync).
    pub duplicates: usize,
    /// Pushed changes that clashed with another laptop's edit (both values kept).
    pub conflicts: usize,
    /// Pushed changes the server refused (kept aside on this laptop).
    pub refused: usize,
    pub pulled: usize,
    pub applied: u32,
    /// Pulled records not applicable yet (kept for next time).
    pub waiting: u32,
    pub reference_updated: Vec<String>,
    /// Fields in conflict in the store after this sync.
    pub open_conflicts: u32,
}

/// A saved change as sent, borrowed (its stored id checked).
fn to_wire(c: &OutgoingChange) -> Result<WireChange<'_>> {
    Ok(WireChange {
        change_id: uuid::Uuid::parse_str(&c.change_id)
            .map_err(|e| Error::Protocol(format!("stored change id: {e}")))?,
        table: &c.table,
        record_id: &c.record_id,
        base_revision: c.base_revision,
        fields: &c.fields,
        deleted: c.deleted,
    })
}

fn to_incoming(r: preau_protocol::RemoteRecord) -> IncomingRecord {
    IncomingRecord {
        table: r.table,
        record_id: r.record_id,
        revision: r.revision,
        deleted: r.deleted,
        fields: r.fields,
        conflicts: r
            .conflicts
            .into_iter()
            .map(|c| IncomingConflict {
                field: c.field,
                value: c.value,
                device_id: c.device_id.to_string(),
                revision: c.revision,
            })
            .collect(),
        owner: r.owner,
    }
}

fn to_refused(sent: &OutgoingChange, ack: &preau_protocol::Ack) -> RefusedChange {
    let (code, message, record) = match &ack.refusal {
        Some(r) => (
            r.code.as_str().to_string(),
            r.message.clone(),
            r.record.clone().map(to_incoming),
        ),
        None => ("unknown".to_string(), String::new(), None),
    };
    RefusedChange {
        change_id: sent.change_id.clone(),
        table: sent.table.clone(),
        record_id: sent.record_id.clone(),
        deleted: sent.deleted,
        fields: sent.fields.clone(),
        code,
        message,
        record,
    }
}

/// Fetches the reference data sets newer than the ones this laptop has.
async fn update_reference(
    store: &mut Store,
    client: &Client,
    versions: &[ReferenceVersion],
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<()> {
    let known = store.sync_reference_versions()?;
    for r in versions {
        if known.get(&r.kind).is_some_and(|v| *v >= r.version) {
            continue;
        }
        let data = client.reference(&r.kind, progress).await?;
        store.sync_reference_received(&data.kind, data.version, &data.content)?;
        if !report.reference_updated.contains(&data.kind) {
            report.reference_updated.push(data.kind);
        }
        progress(Progress::Reference);
    }
    Ok(())
}

/// One full sync of `store` with its server. A revocation the server answers is recorded
/// in the store before the error is returned; a laptop already known revoked does not ask.
pub async fn sync(
    store: &mut Store,
    opts: SyncOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport> {
    match sync_enrolled(store, opts, progress).await {
        Err(Error::Revoked) => {
            account::record_revoked(store)?;
            Err(Error::Revoked)
        }
        other => other,
    }
}

async fn sync_enrolled(
    store: &mut Store,
    opts: SyncOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<SyncReport> {
    let status = store.sync_status()?;
    if status.revoked {
        return Err(Error::Revoked);
    }
    let settings = store.sync_settings()?;
    let url = settings.server_url.ok_or(Error::NotEnrolled)?;
    // From the keyring for an encrypted store: a laptop whose keyring lost it must enroll
    // again, as one that never was.
    let token = store.sync_token()?.ok_or(Error::NotEnrolled)?;
    let batch_size = opts.batch_size.max(1);
    let client = Client::new(&url, Some(token.to_string()), opts)?;
    let mut report = SyncReport::default();

    push_pending(store, &client, batch_size, &mut report, progress).await?;
    pull_and_apply(store, &client, &mut report, progress).await?;
    // What the pull itself changed here (a line losing a class deleted elsewhere, a school
    // merged with a colleague's of the same UAI) is sent now rather than at the next sync,
    // and pulled back, so laptops agree as soon as both have synced and this one is left
    // with nothing the server has not acknowledged and sent back. Once: applying what comes
    // back changes nothing more.
    if store.sync_pending()? > 0 {
        push_pending(store, &client, batch_size, &mut report, progress).await?;
        pull_and_apply(store, &client, &mut report, progress).await?;
    }
    report.open_conflicts = store.sync_overview()?.conflicts;
    Ok(report)
}

/// Pulls every page after the cursor (applied as it comes, the next page fetched
/// meanwhile), fetches newer reference data, then applies what was staged.
async fn pull_and_apply(
    store: &mut Store,
    client: &Client,
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<()> {
    // Pull, page by page: each page applied with its cursor in one transaction (records
    // not applicable yet are staged), while the next page is already being fetched. Newer
    // reference data is fetched once the first page names the versions, before anything
    // is applied (schools are parents of records). The first page tells the server what
    // this laptop still holds after its push: the truth the back-office shows.
    client.set_pending(store.sync_pending()?);
    let mut page = client.pull(store.sync_cursor()?, progress).await?;
    update_reference(store, client, &page.reference, report, progress).await?;
    let reference = loop {
        report.pulled += page.records.len();
        let pull_total = report.pulled + usize::try_from(page.remaining).unwrap_or(usize::MAX);
        let (more, next_cursor, reference) = (page.more, page.next_cursor, page.reference);
        let records: Vec<IncomingRecord> = page.records.into_iter().map(to_incoming).collect();
        let (next, applied) = tokio::join!(
            async {
                if more {
                    Some(client.pull(next_cursor, progress).await)
                } else {
                    None
                }
            },
            async { store.sync_receive(&records, next_cursor) }
        );
        report.applied += applied?.applied;
        progress(Progress::Pulling {
            received: report.pulled,
            total: pull_total,
        });
        match next {
            Some(next) => page = next?,
            None => break reference,
        }
    };
    // A version published while pulling.
    update_reference(store, client, &reference, report, progress).await?;

    // Records staged by this sync or an earlier one, now that their parents may be here.
    progress(Progress::Applying);
    let applied = store.sync_apply_inbox()?;
    report.applied += applied.applied;
    report.waiting = applied.waiting;
    Ok(())
}

/// Pushes the pending changes, batch by batch, in order; each change keeps its id until
/// acknowledged.
async fn push_pending(
    store: &mut Store,
    client: &Client,
    batch_size: usize,
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<()> {
    // Acknowledged changes not yet forgotten: forgotten with the next batch's making (one
    // transaction, while a request is in flight), or before returning.
    let mut acked: Vec<Acknowledged> = Vec::new();
    let pushed = push_batches(store, client, batch_size, report, progress, &mut acked).await;
    if !acked.is_empty() {
        // Even after a failed batch: what the server took is not sent again.
        store.sync_acknowledge(&acked)?;
    }
    pushed
}

async fn push_batches(
    store: &mut Store,
    client: &Client,
    batch_size: usize,
    report: &mut SyncReport,
    progress: &mut (dyn FnMut(Progress) + Send),
    acked: &mut Vec<Acknowledged>,
) -> Result<()> {
    // While a batch is in flight the previous one's acknowledgement is recorded and the
    // next one is made from the log and saved (the store's work overlaps the server's); it
    // is sent only once the previous one is acknowledged.
    let pending = store.sync_pending()?;
    client.set_pending(pending);
    let total = usize::try_from(pending).unwrap_or(usize::MAX);
    let mut queue: VecDeque<OutgoingChange> = store.sync_outgoing_saved(usize::MAX)?.into();
    let mut log_empty = false;
    let mut acknowledged = 0usize;
    loop {
        if queue.is_empty() && !log_empty {
            let built = store.sync_acknowledge_and_build(acked, batch_size)?;
            acked.clear();
            log_empty = built.is_empty();
            queue.extend(built);
        }
        if queue.is_empty() {
            break;
        }
        let changes = queue
            .iter()
            .take(batch_size)
            .map(to_wire)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Uuid> = changes.iter().map(|c| c.change_id).collect();
        let build_next = !log_empty && queue.len() < 2 * batch_size;
        let (resp, stored) = tokio::join!(client.push_prefix(&changes, progress), async {
            if build_next {
                let built = store.sync_acknowledge_and_build(acked, batch_size);
                if built.is_ok() {
                    acked.clear();
                }
                Some(built)
            } else {
                None
            }
        });
        if let Some(built) = stored {
            let built = built?;
            log_empty = built.is_empty();
            queue.extend(built);
        }
        let resp = resp?;
        // The acks answer the changes sent, in order (a prefix of the batch when it was
        // cut to fit the body limit): anything else is not trusted.
        if resp.acks.is_empty()
            || resp.acks.len() > ids.len()
            || resp.acks.iter().zip(&ids).any(|(a, id)| a.change_id != *id)
        {
            return Err(Error::Protocol(format!(
                "{} acks for {} changes",
                resp.acks.len(),
                ids.len()
            )));
        }
        let mut refused = Vec::new();
        for (ack, sent) in resp.acks.iter().zip(queue.iter()) {
            match ack.status {
                AckStatus::Applied => {}
                AckStatus::Conflict => report.conflicts += 1,
                AckStatus::Duplicate => report.duplicates += 1,
                AckStatus::Refused => refused.push(to_refused(sent, ack)),
            }
        }
        let count = resp.acks.len();
        acked.extend(resp.acks.iter().map(|a| Acknowledged {
            change_id: a.change_id.to_string(),
            // A refused change gave the record no revision.
            revision: if a.status == AckStatus::Refused {
                0
            } else {
                a.revision
            },
        }));
        if !refused.is_empty() {
            // Refused changes are kept aside and their records put back as the server has
            // them, before the batch is forgotten.
            report.refused += refused.len();
            store.sync_refused(&refused)?;
            store.sync_acknowledge(acked)?;
            acked.clear();
        }
        queue.drain(..count);
        report.pushed += count;
        acknowledged += count;
        // The count read before the push less what was acknowledged since: an estimate
        // (a record edited again meanwhile is still pending), never above the truth the
        // server was told first. The server records a lower count during a push only
        // when its throttle lets a write through, and the pull reads it again exactly;
        // counting the log after every batch was a sixth of the laptop's work in a large
        // push.
        client.set_pending(pending.saturating_sub(u32::try_from(acknowledged).unwrap_or(u32::MAX)));
        progress(Progress::Pushing {
            done: report.pushed,
            total: total.max(report.pushed),
        });
    }
    Ok(())
}
