//! « Enregistrer sous… » and « Exporter… »: where a file goes (the native dialog, or
//! `PREAU_SAVE_DIR` in the end-to-end tests) and writing it whole (a temporary file beside
//! it, then a rename), so nobody ever sees half a file.

use std::path::{Path, PathBuf};

use tauri_plugin_dialog::DialogExt;

use preau_core::ErrorCode;

use crate::error::{IpcError, IpcResult};

/// When set, saves and exports write into this directory without asking (native dialogs
/// cannot be driven by WebDriver: the end-to-end tests use it).
const SAVE_DIR_ENV: &str = "PREAU_SAVE_DIR";

/// `PREAU_SAVE_DIR`, when set and not empty.
fn save_dir_override() -> Option<PathBuf> {
    std::env::var_os(SAVE_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// What the save dialog shows and which extension the chosen file gets.
pub struct SaveAs<'a> {
    pub title: &'a str,
    /// The suggested file name.
    pub name: &'a str,
    pub filter_label: &'a str,
    /// Without the dot: "pdf", "json".
    pub extension: &'a str,
}

/// Where a file is saved: `PREAU_SAVE_DIR` when set, else `path` when given, else the
/// native save dialog. `None` when the adviser cancels the dialog.
pub fn save_target(app: &tauri::AppHandle, path: Option<String>, what: &SaveAs) -> Option<PathBuf> {
    if let Some(dir) = save_dir_override() {
        return Some(dir.join(what.name));
    }
    if let Some(path) = path.filter(|p| !p.trim().is_empty()) {
        return Some(PathBuf::from(path));
    }
    let mut dialog = app
        .dialog()
        .file()
        .set_title(what.title)
        .set_file_name(what.name)
        .add_filter(what.filter_label, &[what.extension]);
    if let Some(docs) = dirs_documents() {
        dialog = dialog.set_directory(docs);
    }
    let chosen = dialog.blocking_save_file()?;
    match chosen.into_path() {
        Ok(path) => Some(with_extension(path, what.extension)),
        Err(e) => {
            tracing::warn!(error = %e, "the save dialog answered a path that is not a file");
            None
        }
    }
}

/// The folder an export of several files goes into: `PREAU_SAVE_DIR` when set, else `dir`
/// when given, else the native folder picker. `None` when the adviser cancels.
pub fn folder_target(app: &tauri::AppHandle, dir: Option<String>, title: &str) -> Option<PathBuf> {
    if let Some(dir) = save_dir_override() {
        return Some(dir);
    }
    if let Some(dir) = dir.filter(|d| !d.trim().is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let mut dialog = app.dialog().file().set_title(title);
    if let Some(docs) = dirs_documents() {
        dialog = dialog.set_directory(docs);
    }
    let chosen = dialog.blocking_pick_folder()?;
    match chosen.into_path() {
        Ok(path) => Some(path),
        Err(e) => {
            tracing::warn!(error = %e, "the folder picker answered a path that is not a folder");
            None
        }
    }
}

fn dirs_documents() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join("Documents"))
        .filter(|d| d.is_dir())
}

/// `path`, ending in `.extension` (any case) — added when the adviser typed a bare name.
pub fn with_extension(path: PathBuf, extension: &str) -> PathBuf {
    let has = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if has {
        path
    } else {
        let mut s = path.into_os_string();
        s.push(".");
        s.push(extension);
        PathBuf::from(s)
    }
}

/// Writes `bytes` beside `path` then renames: a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> IpcResult<()> {
    write_reported(path, bytes, false)
}

/// [`write_atomically`] into the data directory: private file and folder.
pub fn write_atomically_private(path: &Path, bytes: &[u8]) -> IpcResult<()> {
    write_reported(path, bytes, true)
}

fn write_reported(path: &Path, bytes: &[u8], private: bool) -> IpcResult<()> {
    write_file(path, bytes, private).map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "writing a file failed");
        IpcError::new(
            ErrorCode::WriteFailed,
            format!(
                "Le fichier {} n'a pas pu être écrit ({}).",
                path.display(),
                io_reason(&e)
            ),
        )
    })
}

/// [`write_file`] for a file of the data directory (the journal): the file is 0600 from
/// its creation and its folder 0700 (Unix), as the store is.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_file(path, bytes, true)
}

/// Writes `bytes` beside `path`, flushes them to the disk, then renames: a reader never
/// sees half a file, and a power cut leaves the old file or the new one. `private`: the
/// file 0600 and its folder 0700 (Unix).
fn write_file(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        if private {
            preau_core::perms::private_dir(dir)?;
        } else {
            std::fs::create_dir_all(dir)?;
        }
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename itself is durable once the directory is flushed (Unix; Windows has no
    // directory handle to flush and commits the rename with the file system's journal).
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "accès refusé",
        std::io::ErrorKind::NotFound => "dossier introuvable",
        std::io::ErrorKind::StorageFull => "disque plein",
        std::io::ErrorKind::ReadOnlyFilesystem => "support en lecture seule",
        _ => "erreur du système de fichiers",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_files_get_their_extension() {
        assert_eq!(
            with_extension(PathBuf::from("/tmp/a"), "pdf"),
            PathBuf::from("/tmp/a.pdf")
        );
        assert_eq!(
            with_extension(PathBuf::from("/tmp/a.PDF"), "pdf"),
            PathBuf::from("/tmp/a.PDF")
        );
        assert_eq!(
            with_extension(PathBuf::from("/tmp/visite.pdf"), "json"),
            PathBuf::from("/tmp/visite.pdf.json")
        );
    }

    #[test]
    fn writes_replace_whole_files() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("preau-save-{}", std::process::id()));
        let path = dir.join("sub").join("x.pdf");
        write_atomically(&path, b"one").map_err(|e| e.message)?;
        write_atomically(&path, b"two").map_err(|e| e.message)?;
        assert_eq!(std::fs::read(&path)?, b"two");
        assert!(!dir.join("sub").join("x.pdf.part").exists());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
