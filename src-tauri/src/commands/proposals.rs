//! Printed proposals: the visit's draft, issuing it, the mayor's answer, the letterhead
//! settings, and the document actions (open in the system viewer, save as, print, the
//! pedagogical project sheets for the IEN). The lifecycle lives in preau-core and the
//! drawing in preau-pdf; here we only move bytes to files and hand them to the system.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use preau_core::proposals::{
    Acceptance, DocumentSettings, DraftPatch, ProposalSnapshot, ProposalSummary,
};
use tauri::State;

use preau_core::ErrorCode;

use crate::error::{IpcError, IpcResult};
use crate::journal::Journal;
use crate::save::{save_target, write_atomically, write_atomically_private, SaveAs};
use crate::state::AppState;

const NO_PRINTER: &str = "Aucune imprimante n'est configurée sur cet ordinateur (CUPS) : \
                          ouvrez le PDF et imprimez-le depuis la visionneuse.";

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[tauri::command(async)]
pub fn proposals_list(
    state: State<'_, AppState>,
    visit_id: String,
) -> IpcResult<Vec<ProposalSummary>> {
    state.with_store(|s| s.proposals_of(&visit_id, today()))
}

/// The visit's draft, made if there is none (after an issue: the next revision).
#[tauri::command(async)]
pub fn proposal_draft(state: State<'_, AppState>, visit_id: String) -> IpcResult<ProposalSummary> {
    state.with_store(|s| s.proposal_draft(&visit_id, today()))
}

#[tauri::command(async)]
pub fn proposal_update(
    state: State<'_, AppState>,
    id: String,
    patch: DraftPatch,
) -> IpcResult<ProposalSummary> {
    state.with_store(|s| s.proposal_update_draft(&id, &patch, today()))
}

/// Numbers the draft and freezes its content and PDF. Refused while an edit of the visit
/// waits in the journal: the frozen document would hold the values before it (issue 9).
#[tauri::command(async)]
pub fn proposal_issue(
    state: State<'_, AppState>,
    journal: State<'_, Journal>,
    id: String,
) -> IpcResult<ProposalSummary> {
    let visit_id = state.with_store(|s| Ok(s.proposal(&id, today())?.visit_id))?;
    let waiting = journal.pending_for(&visit_id);
    if waiting > 0 {
        tracing::info!(visit_id, waiting, "issue refused: edits not saved");
        return Err(IpcError::new(
            ErrorCode::UnsavedEdits,
            unsaved_message(waiting),
        ));
    }
    state.with_store(|s| {
        s.proposal_issue(&id, today(), |snap| {
            preau_pdf::render_proposal(snap).map_err(|e| e.to_string())
        })
    })
}

#[tauri::command(async)]
pub fn proposal_accept(
    state: State<'_, AppState>,
    id: String,
    acceptance: Acceptance,
) -> IpcResult<ProposalSummary> {
    state.with_store(|s| s.proposal_accept(&id, &acceptance, today()))
}

#[tauri::command(async)]
pub fn proposal_refuse(state: State<'_, AppState>, id: String) -> IpcResult<ProposalSummary> {
    state.with_store(|s| s.proposal_refuse(&id, today()))
}

#[tauri::command(async)]
pub fn document_settings(state: State<'_, AppState>) -> IpcResult<DocumentSettings> {
    state.with_store(|s| s.document_settings())
}

#[tauri::command(async)]
pub fn document_settings_save(
    state: State<'_, AppState>,
    settings: DocumentSettings,
) -> IpcResult<DocumentSettings> {
    state.with_store(|s| s.document_settings_save(&settings))
}

/// The letterhead logo's PNG bytes (the demo one until another is set), `null` if removed.
#[tauri::command(async)]
pub fn logo_png(state: State<'_, AppState>) -> IpcResult<Option<Vec<u8>>> {
    state.with_store(|s| s.logo_png())
}

/// Sets the letterhead logo (a PNG file's bytes) or removes it (`null`); answers the
/// settings, whose `has_logo` follows.
#[tauri::command(async)]
pub fn logo_set(state: State<'_, AppState>, bytes: Option<Vec<u8>>) -> IpcResult<DocumentSettings> {
    state.with_store(|s| {
        s.logo_set(bytes.as_deref())?;
        s.document_settings()
    })
}

/// Why a proposal is not issued while `waiting` edits of its visit are not saved.
fn unsaved_message(waiting: usize) -> String {
    let what = if waiting == 1 {
        "une modification de cette visite n'est pas encore enregistrée".to_string()
    } else {
        format!("{waiting} modifications de cette visite ne sont pas encore enregistrées")
    };
    format!(
        "La proposition n'est pas émise : {what}. Attendez « Tout est enregistré », \
         ou abandonnez la modification."
    )
}

/// Which PDF of a proposal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Doc {
    /// The proposal: the frozen bytes once issued, else a draft marked « PROJET ».
    Proposal,
    /// The one-page pedagogical project sheet of each school, for the IEN.
    Sheets,
}

/// The file name of a document: the reference without spaces or accents, so that it
/// survives any file system and mail client. "2026-K7Q3M-0001 rév. 2" →
/// "2026-K7Q3M-0001-rev2.pdf"; a draft says so.
fn file_name(p: &ProposalSummary, doc: Doc) -> String {
    let base = match &p.number {
        Some(n) => format!("{n}-rev{}", p.revision),
        None => String::new(),
    };
    let draft = p.pdf_sha256.is_none();
    let base = match (base.is_empty(), draft) {
        (true, _) => "brouillon".to_string(),
        (false, true) => format!("{base}-brouillon"),
        (false, false) => base,
    };
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match doc {
        Doc::Proposal => format!("proposition-{safe}.pdf"),
        Doc::Sheets => format!("fiche-projet-{safe}.pdf"),
    }
}

fn render_failed(e: impl std::fmt::Display) -> IpcError {
    tracing::error!(error = %e, "PDF rendering failed");
    IpcError::new(
        ErrorCode::PdfFailed,
        "Le PDF n'a pas pu être produit. Réessayez ; si cela se reproduit, signalez-le.",
    )
}

/// The bytes of a document and its file name. The store is only held to read; drawing
/// happens after it is released.
fn document(state: &AppState, id: &str, doc: Doc) -> IpcResult<(Vec<u8>, String)> {
    enum Source {
        Frozen(Vec<u8>),
        Render(Box<ProposalSnapshot>),
    }
    let (source, name) = state.with_store(|s| {
        let p = s.proposal(id, today())?;
        let name = file_name(&p, doc);
        let source = if doc == Doc::Proposal && p.pdf_sha256.is_some() {
            Source::Frozen(s.proposal_pdf(id)?)
        } else {
            Source::Render(Box::new(s.proposal_snapshot(id, today())?))
        };
        Ok((source, name))
    })?;
    let bytes = match source {
        Source::Frozen(bytes) => bytes,
        Source::Render(snap) => match doc {
            Doc::Proposal => preau_pdf::render_proposal(&snap).map_err(render_failed)?,
            Doc::Sheets => preau_pdf::render_project_sheets(&snap).map_err(render_failed)?,
        },
    };
    Ok((bytes, name))
}

/// Writes a document into `<data dir>/documents/` and returns its path.
fn write_to_documents(state: &AppState, id: &str, doc: Doc) -> IpcResult<PathBuf> {
    let (bytes, name) = document(state, id, doc)?;
    let path = state.data_dir().join("documents").join(name);
    // Proposals name the mayor and the school: private, like the store.
    write_atomically_private(&path, &bytes)?;
    Ok(path)
}

/// Opens a file with the desktop's default application, without waiting for it.
fn open_with_system(path: &Path) -> IpcResult<()> {
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        Command::new("xdg-open")
    };
    command
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let no_viewer = || {
        IpcError::new(
            ErrorCode::NoViewer,
            format!(
                "Aucune visionneuse de PDF n'a pu être lancée. Le document est enregistré ici : {}",
                path.display()
            ),
        )
    };
    let mut child = command.spawn().map_err(|e| {
        tracing::warn!(path = %path.display(), error = %e, "could not start the system viewer");
        no_viewer()
    })?;
    // xdg-open fails within a moment when no application opens PDFs; when it is still
    // running (some desktops keep it until the viewer closes) the viewer is up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(800);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                tracing::warn!(path = %path.display(), %status, "the system viewer refused the file");
                return Err(no_viewer());
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "could not watch the system viewer");
                break;
            }
        }
    }
    // Reap it when it ends so it does not linger as a zombie; nobody waits here.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Writes the proposal's PDF (issued: the frozen bytes; draft: rendered now with the
/// « PROJET » watermark) and opens it in the system viewer. Answers the file's path.
#[tauri::command(async)]
pub fn proposal_open(state: State<'_, AppState>, id: String) -> IpcResult<String> {
    let path = write_to_documents(&state, &id, Doc::Proposal)?;
    open_with_system(&path)?;
    Ok(path.display().to_string())
}

/// The pedagogical project sheet of each school, opened in the system viewer.
#[tauri::command(async)]
pub fn project_sheets_open(state: State<'_, AppState>, id: String) -> IpcResult<String> {
    let path = write_to_documents(&state, &id, Doc::Sheets)?;
    open_with_system(&path)?;
    Ok(path.display().to_string())
}

/// « Enregistrer sous… »: answers the path written, or `null` if the adviser cancelled.
#[tauri::command(async)]
pub fn proposal_save(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: String,
    path: Option<String>,
) -> IpcResult<Option<String>> {
    let (bytes, name) = document(&state, &id, Doc::Proposal)?;
    let what = SaveAs {
        title: "Enregistrer la proposition",
        name: &name,
        filter_label: "Document PDF",
        extension: "pdf",
    };
    let Some(target) = save_target(&app, path, &what) else {
        return Ok(None);
    };
    write_atomically(&target, &bytes)?;
    tracing::info!(path = %target.display(), "proposal saved");
    Ok(Some(target.display().to_string()))
}

/// The first `name` found on `PATH`.
fn find_program(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Sends the proposal to the default CUPS printer with `lp`. Answers the printer's
/// message (e.g. the job id).
#[tauri::command(async)]
pub fn proposal_print(state: State<'_, AppState>, id: String) -> IpcResult<String> {
    let Some(lp) = find_program("lp") else {
        tracing::info!("printing refused: no lp on PATH");
        return Err(IpcError::new(ErrorCode::NoPrinter, NO_PRINTER));
    };
    let path = write_to_documents(&state, &id, Doc::Proposal)?;
    let output = Command::new(lp)
        .arg("--")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            tracing::error!(error = %e, "could not run lp");
            IpcError::new(ErrorCode::NoPrinter, NO_PRINTER)
        })?;
    if output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
        tracing::info!(path = %path.display(), lp = %said, "proposal sent to the printer");
        Ok(said)
    } else {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        tracing::warn!(path = %path.display(), lp = %said, "lp refused the job");
        Err(IpcError::new(
            ErrorCode::PrintFailed,
            format!(
                "L'impression n'a pas pu être lancée ({said}) : vérifiez l'imprimante, ou \
                 ouvrez le PDF et imprimez-le depuis la visionneuse."
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preau_core::proposals::{Civility, ProposalStatus};

    #[test]
    fn the_refusal_counts_the_edits_waiting() {
        assert!(unsaved_message(1).contains("une modification de cette visite n'est pas"));
        assert!(unsaved_message(3).contains("3 modifications de cette visite ne sont pas"));
    }

    fn summary(number: Option<&str>, revision: u32, issued: bool) -> ProposalSummary {
        ProposalSummary {
            id: "p".into(),
            visit_id: "v".into(),
            number: number.map(str::to_string),
            revision,
            replaces: None,
            status: if issued {
                ProposalStatus::Emise
            } else {
                ProposalStatus::Brouillon
            },
            status_label: String::new(),
            scenario_ids: vec![],
            civility: Civility::Inconnue,
            validity_days: 90,
            issued_on: None,
            valid_until: None,
            decided_on: None,
            accepted_scenario_id: None,
            deliberated_on: None,
            offered: vec![],
            pdf_sha256: issued.then(|| "ab".repeat(32)),
        }
    }

    #[test]
    fn file_names_follow_the_reference() {
        assert_eq!(
            file_name(&summary(None, 1, false), Doc::Proposal),
            "proposition-brouillon.pdf"
        );
        assert_eq!(
            file_name(&summary(Some("2026-K7Q3M-0001"), 2, true), Doc::Proposal),
            "proposition-2026-K7Q3M-0001-rev2.pdf"
        );
        assert_eq!(
            file_name(&summary(Some("2026-K7Q3M-0001"), 3, false), Doc::Sheets),
            "fiche-projet-2026-K7Q3M-0001-rev3-brouillon.pdf"
        );
        assert_eq!(
            file_name(&summary(Some("20 26/../x"), 1, true), Doc::Proposal),
            "proposition-20_26____x-rev1.pdf"
        );
    }
}
