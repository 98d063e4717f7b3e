//! File permissions of the data directory: the directory and every folder in it 0700, every
//! file 0600, so another local user reads nothing (not even which files there are). Unix
//! only; on Windows the profile's folders are already private to their user.

use std::path::Path;

/// Creates `dir` (and its parents) if needed and makes it private.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Makes an existing file private.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    set_mode(path, 0o600)
}

/// Creates an empty private file if there is none: SQLite then gives the store's `-wal`
/// and `-shm` the same mode as the store file itself.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?;
    private_file(path)
}

/// Makes the data directory private, and every folder and file in it (files written by an
/// earlier Préau were 0644 in a 0755 folder). Symbolic links are not followed. A file that
/// cannot be changed is logged and left: it does not stop the app from opening.
pub fn tighten(dir: &Path) {
    if let Err(e) = set_mode(dir, 0o700) {
        tracing::warn!(path = %dir.display(), error = %e, "cannot make the data directory private");
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            tighten(&path);
        } else if kind.is_file() {
            if let Err(e) = set_mode(&path, 0o600) {
                tracing::warn!(path = %path.display(), error = %e, "cannot make a file private");
            }
        }
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current == mode {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
