//! The journal of edits the store has not acknowledged yet: every value the window is about
//! to save, is saving, or failed to save, so that a refused or interrupted save survives a
//! restart of the app (issue 9: « Nothing typed is lost »). The window replays it on start.
//!
//! It is deliberately not in the SQLite store — the store may be what is failing — but one
//! small JSON file beside it, replaced whole at each change (a temporary file, flushed to
//! disk, then renamed), so a reader never sees half of it. The window owns its content and
//! sends the whole list each time; what a save command and its arguments are is the
//! window's business (`call` is kept as given), the shell only needs to know which visit an
//! edit belongs to, to refuse issuing a proposal of a visit with an unsaved edit.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::save::write_private;

/// The journal's file name in the data directory.
pub const JOURNAL_FILE: &str = "modifications-en-attente.json";
const FORMAT: &str = "preau-journal";
const VERSION: u32 = 1;

/// One edit waiting for its save to be acknowledged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The record and field it edits ("<visit>/participant:<id>"); one entry per key.
    pub key: String,
    pub visit_id: String,
    /// Orders the values of one key: a save acknowledged for an older value never removes
    /// a newer one.
    pub rev: u64,
    /// The save command and its arguments, as the window describes them.
    pub call: serde_json::Value,
    /// The last refusal, in French, once a save of it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// When the value was first written here (ms since 1970), to say since when it waits.
    #[serde(default)]
    pub since_ms: u64,
}

/// What the window reads on start.
#[derive(Debug, Serialize)]
pub struct JournalState {
    /// The last write taken; the window's next writes carry a greater number.
    pub generation: u64,
    pub entries: Vec<JournalEntry>,
    /// Set when the file could not be read (it was set aside under another name).
    pub problem: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct JournalFile {
    format: String,
    version: u32,
    entries: Vec<JournalEntry>,
}

pub struct Journal {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    generation: u64,
    entries: Vec<JournalEntry>,
    problem: Option<String>,
}

impl Journal {
    /// Reads the journal of `data_dir`. A file that cannot be read is set aside (never
    /// deleted) and the journal starts empty, saying so.
    pub fn open(data_dir: &Path) -> Journal {
        let path = data_dir.join(JOURNAL_FILE);
        let (entries, problem) = match read(&path) {
            Ok(entries) => (entries, None),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "the edit journal is unreadable");
                (Vec::new(), Some(set_aside(&path)))
            }
        };
        if !entries.is_empty() {
            tracing::info!(count = entries.len(), "edits waiting in the journal");
        }
        Journal {
            path,
            inner: Mutex::new(Inner {
                generation: 0,
                entries,
                problem,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not stop the journal from being written.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn state(&self) -> JournalState {
        let inner = self.lock();
        JournalState {
            generation: inner.generation,
            entries: inner.entries.clone(),
            problem: inner.problem.clone(),
        }
    }

    /// Replaces the journal with `entries` unless a write with a greater `generation` was
    /// already taken (writes may reach the shell out of order). Answers whether it was taken.
    pub fn replace(&self, generation: u64, entries: Vec<JournalEntry>) -> std::io::Result<bool> {
        let mut inner = self.lock();
        if generation <= inner.generation {
            return Ok(false);
        }
        let file = JournalFile {
            format: FORMAT.to_string(),
            version: VERSION,
            entries,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        write_private(&self.path, &bytes)?;
        inner.generation = generation;
        inner.entries = file.entries;
        Ok(true)
    }

    /// How many edits of `visit_id` wait for their save.
    pub fn pending_for(&self, visit_id: &str) -> usize {
        self.lock()
            .entries
            .iter()
            .filter(|e| e.visit_id == visit_id)
            .count()
    }
}

fn read(path: &Path) -> Result<Vec<JournalEntry>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let file: JournalFile = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if file.format != FORMAT || file.version > VERSION {
        return Err(format!("format {} version {}", file.format, file.version));
    }
    Ok(file.entries)
}

/// Moves an unreadable journal out of the way; answers the French notice for the window.
fn set_aside(path: &Path) -> String {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".illisible-{stamp}"));
    let aside = PathBuf::from(aside);
    match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "Le journal des modifications en attente était illisible : il a été mis de côté ({}).",
            aside.display()
        ),
        Err(e) => {
            tracing::error!(error = %e, "the unreadable journal could not be set aside");
            format!(
                "Le journal des modifications en attente ({}) est illisible.",
                path.display()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("preau-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn entry(key: &str, visit: &str, rev: u64) -> JournalEntry {
        JournalEntry {
            key: key.to_string(),
            visit_id: visit.to_string(),
            rev,
            call: serde_json::json!({ "command": "visit_update", "visitId": visit, "patch": { "notes": "n" } }),
            error: None,
            since_ms: 1,
        }
    }

    #[test]
    fn entries_survive_a_reopen() -> Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir("reopen");
        let journal = Journal::open(&dir);
        assert!(journal.state().entries.is_empty());
        assert!(journal.replace(
            1,
            vec![entry("v1/notes", "v1", 1), entry("v2/notes", "v2", 2)]
        )?);
        assert_eq!(journal.pending_for("v1"), 1);
        let again = Journal::open(&dir);
        assert_eq!(again.state().entries, journal.state().entries);
        assert!(again.state().problem.is_none());
        assert!(!dir.join(format!("{JOURNAL_FILE}.part")).exists());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn an_older_write_never_replaces_a_newer_one() -> Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir("order");
        let journal = Journal::open(&dir);
        assert!(journal.replace(2, vec![])?);
        assert!(!journal.replace(1, vec![entry("v1/notes", "v1", 1)])?);
        assert_eq!(journal.pending_for("v1"), 0);
        assert_eq!(Journal::open(&dir).pending_for("v1"), 0);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn an_unreadable_journal_is_set_aside_not_deleted() -> Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir("damaged");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(JOURNAL_FILE), b"{ pas du json")?;
        let journal = Journal::open(&dir);
        let state = journal.state();
        assert!(state.entries.is_empty());
        assert!(state.problem.is_some_and(|p| p.contains("mis de côté")));
        let aside: Vec<_> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".illisible-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(aside[0].path())?, b"{ pas du json");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
