//! Visits as JSON files: the `preau-visit` document of `preau-cli visits export`, byte for
//! byte. One visit « Enregistrer sous… », or every visit into a folder: what a laptop the
//! syndicate revoked can still do with its data.

use std::collections::HashSet;

use preau_core::model::Visit;
use preau_core::workflow::VisitExport;
use serde::Serialize;
use tauri::State;

use preau_core::ErrorCode;

use crate::error::{IpcError, IpcResult};
use crate::save::{folder_target, save_target, write_atomically, SaveAs};
use crate::state::AppState;

/// What « Exporter toutes les visites » wrote.
#[derive(Debug, Serialize)]
pub struct ExportedVisits {
    pub dir: String,
    pub count: u32,
    pub files: Vec<String>,
}

/// The document as `preau-cli visits export ID` prints it.
fn export_bytes(doc: &VisitExport) -> IpcResult<Vec<u8>> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| {
        tracing::error!(error = %e, "visit export not serialisable");
        IpcError::new(
            ErrorCode::ExportFailed,
            "La visite n'a pas pu être exportée.",
        )
    })?;
    Ok((text + "\n").into_bytes())
}

/// "visite-2026-03-12-saint-quentin.json": the day and the commune, without accents or
/// spaces, so that it survives any file system and mail client.
fn file_name(visit: &Visit) -> String {
    let mut slug = String::new();
    for c in preau_core::text::fold_plain(&visit.commune_name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let day = visit.scheduled_at.format("%Y-%m-%d");
    if slug.is_empty() {
        format!("visite-{day}.json")
    } else {
        format!("visite-{day}-{slug}.json")
    }
}

/// `name`, or "name-2.json", "name-3.json"… when already taken in this export.
fn unique_name(name: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.clone();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{stem}-{n}.json");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// « Exporter la visite (JSON) »: answers the path written, or `null` if cancelled.
#[tauri::command(async)]
pub fn visit_export_save(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: String,
    path: Option<String>,
) -> IpcResult<Option<String>> {
    let doc = state.with_store(|s| s.visit_export(&id))?;
    let bytes = export_bytes(&doc)?;
    let name = file_name(&doc.visit);
    let what = SaveAs {
        title: "Exporter la visite",
        name: &name,
        filter_label: "Visite Préau (JSON)",
        extension: "json",
    };
    let Some(target) = save_target(&app, path, &what) else {
        return Ok(None);
    };
    write_atomically(&target, &bytes)?;
    tracing::info!(path = %target.display(), "visit exported");
    Ok(Some(target.display().to_string()))
}

/// « Exporter toutes les visites »: one JSON file per visit into a folder the adviser
/// picks. Answers what was written, or `null` if cancelled. The store is held for one
/// visit at a time, so the window stays responsive during a long export.
#[tauri::command(async)]
pub fn visits_export_all(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    dir: Option<String>,
) -> IpcResult<Option<ExportedVisits>> {
    let ids: Vec<String> = state.with_store(|s| {
        Ok(s.visits_list()?
            .into_iter()
            .map(|v| v.id)
            .collect::<Vec<_>>())
    })?;
    if ids.is_empty() {
        return Err(IpcError::new(
            ErrorCode::NothingToExport,
            "Aucune visite n'est enregistrée sur ce poste : il n'y a rien à exporter.",
        ));
    }
    let Some(dir) = folder_target(&app, dir, "Choisir le dossier où exporter les visites") else {
        return Ok(None);
    };
    let mut taken = HashSet::new();
    let mut files = Vec::with_capacity(ids.len());
    for id in &ids {
        let doc = state.with_store(|s| s.visit_export(id))?;
        let bytes = export_bytes(&doc)?;
        let path = dir.join(unique_name(file_name(&doc.visit), &mut taken));
        write_atomically(&path, &bytes)?;
        files.push(path.display().to_string());
    }
    tracing::info!(dir = %dir.display(), count = files.len(), "all visits exported");
    Ok(Some(ExportedVisits {
        dir: dir.display().to_string(),
        count: u32::try_from(files.len()).unwrap_or(u32::MAX),
        files,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(commune: &str, at: &str) -> Visit {
        Visit {
            id: "v".into(),
            commune_insee: "80620".into(),
            commune_name: commune.into(),
            scheduled_at: chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
                .unwrap_or_default(),
            school_ids: vec![],
            participants: vec![],
            notes: String::new(),
        }
    }

    #[test]
    fn file_names_carry_the_day_and_the_commune() {
        assert_eq!(
            file_name(&visit("Péronne", "2026-03-12T09:30")),
            "visite-2026-03-12-peronne.json"
        );
        assert_eq!(
            file_name(&visit("Saint-Quentin-en-Tourmont", "2026-11-02T14:00")),
            "visite-2026-11-02-saint-quentin-en-tourmont.json"
        );
        assert_eq!(
            file_name(&visit("L'Étoile", "2027-01-05T08:00")),
            "visite-2027-01-05-l-etoile.json"
        );
        assert_eq!(
            file_name(&visit(" / ", "2027-01-05T08:00")),
            "visite-2027-01-05.json"
        );
    }

    #[test]
    fn names_taken_in_one_export_get_a_number() {
        let mut taken = HashSet::new();
        let names: Vec<String> = ["a.json", "a.json", "b.json", "a.json"]
            .into_iter()
            .map(|n| unique_name(n.to_string(), &mut taken))
            .collect();
        assert_eq!(names, ["a.json", "a-2.json", "b.json", "a-3.json"]);
    }

    #[test]
    fn the_export_is_the_cli_document() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("preau-export-{}", std::process::id()));
        let mut store = preau_core::Store::open_in(&dir)?;
        let v = store.visit_create("80620", "2026-12-03T18:00")?;
        let doc = store.visit_export(&v.id)?;
        let bytes = export_bytes(&doc).map_err(|e| e.message)?;
        let expected = serde_json::to_string_pretty(&doc)? + "\n";
        assert_eq!(bytes, expected.into_bytes());
        let back = VisitExport::parse(std::str::from_utf8(&bytes)?)?;
        assert_eq!(back.format, "preau-visit");
        drop(store);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
