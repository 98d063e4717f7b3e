//! Reference files uploaded on the Référentiel page, kept between the preview and
//! « Publier »: the browser gets only a random id, bound to its session, and never sends
//! the file again. In memory: a restart (or another server instance) forgets them and the
//! page asks for the file again, which loses nothing (nothing was published).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::sha256_hex;
use crate::error::Result;
use crate::reference::Prepared;

/// How long a preview may be published.
pub const KEPT_FOR: Duration = Duration::from_secs(60 * 60);
/// Previews kept at once, over all sessions (the oldest goes first).
pub const MAX_KEPT: usize = 16;

/// A checked file waiting for « Publier ».
#[derive(Clone)]
pub struct Upload {
    pub prepared: Prepared,
    /// The version published when the preview was made: publishing refuses if another
    /// was published since (the preview would be wrong).
    pub base_version: Option<i64>,
    pub file_name: String,
}

struct Kept {
    /// Hash of the session token it belongs to.
    session: String,
    at: Instant,
    upload: Upload,
}

#[derive(Default)]
pub struct Uploads {
    kept: Mutex<HashMap<String, Kept>>,
}

impl Uploads {
    /// Keeps `upload` for the session `session_token` (replacing that session's previous
    /// one); returns its id.
    pub fn keep(&self, session_token: &str, upload: Upload, now: Instant) -> Result<String> {
        let id = hex::encode(crate::auth::random_bytes::<16>()?);
        let session = sha256_hex(session_token);
        let Ok(mut kept) = self.kept.lock() else {
            return Err(crate::error::Error::Storage("upload store poisoned".into()));
        };
        kept.retain(|_, k| k.session != session && now.duration_since(k.at) < KEPT_FOR);
        while kept.len() >= MAX_KEPT {
            let oldest = kept
                .iter()
                .min_by_key(|(_, k)| k.at)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => kept.remove(&id),
                None => break,
            };
        }
        kept.insert(
            id.clone(),
            Kept {
                session,
                at: now,
                upload,
            },
        );
        Ok(id)
    }

    /// The upload `id` of this session, removed from the store; `None` if it is unknown,
    /// another session's or too old.
    pub fn take(&self, session_token: &str, id: &str, now: Instant) -> Option<Upload> {
        let mut kept = self.kept.lock().ok()?;
        let k = kept.get(id)?;
        if k.session != sha256_hex(session_token) {
            return None;
        }
        let k = kept.remove(id)?;
        (now.duration_since(k.at) < KEPT_FOR).then_some(k.upload)
    }

    /// Puts back an upload taken but not published (publishing failed), under the same id.
    pub fn put_back(&self, session_token: &str, id: &str, upload: Upload, now: Instant) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.insert(
                id.to_string(),
                Kept {
                    session: sha256_hex(session_token),
                    at: now,
                    upload,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceKind;

    fn upload() -> Upload {
        Upload {
            prepared: Prepared {
                kind: ReferenceKind::Funding,
                content: "{}".into(),
                entries: 0,
            },
            base_version: None,
            file_name: "regles.json".into(),
        }
    }

    #[test]
    fn an_upload_is_its_sessions_once_and_for_an_hour() {
        let store = Uploads::default();
        let t = Instant::now();
        let id = store.keep("session-a", upload(), t).expect("kept");
        assert!(store.take("session-b", &id, t).is_none(), "another session");
        assert!(store.take("session-a", &id, t).is_some());
        assert!(store.take("session-a", &id, t).is_none(), "taken once");
        let id = store.keep("session-a", upload(), t).expect("kept");
        assert!(
            store.take("session-a", &id, t + KEPT_FOR).is_none(),
            "too old"
        );
        // A new upload replaces the session's previous one.
        let first = store.keep("session-a", upload(), t).expect("kept");
        let second = store.keep("session-a", upload(), t).expect("kept");
        assert!(store.take("session-a", &first, t).is_none());
        assert!(store.take("session-a", &second, t).is_some());
        for i in 0..(MAX_KEPT * 2) {
            store.keep(&format!("s{i}"), upload(), t).expect("kept");
        }
        assert!(store.kept.lock().expect("lock").len() <= MAX_KEPT);
    }
}
