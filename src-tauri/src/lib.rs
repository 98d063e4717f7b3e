//! Préau's desktop shell: opens the store, registers the IPC commands, and keeps a single
//! instance. No SQL and no business rule here: everything is in preau-core.

mod commands;
mod error;
mod journal;
mod save;
mod state;
mod sync_worker;

use std::path::PathBuf;

use tauri::Manager;

/// Where the store lives: `PREAU_DATA_DIR` if set (tests, several advisers on one
/// machine), else the OS data directory for the app's identifier.
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    match std::env::var_os("PREAU_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(app.path().app_data_dir()?),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PREAU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Ignore the error if a subscriber is already set (e.g. in tests).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run() {
    init_logging();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second launch brings the running window forward instead of opening another.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            tracing::info!(data_dir = %dir.display(), "starting Préau");
            let state = state::AppState::open(&dir);
            let secrets = state.secrets();
            app.manage(state);
            app.manage(journal::Journal::open(&dir));
            app.manage(sync_worker::start(app.handle(), &dir, secrets));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::restore_backup,
            commands::app::app_reopen,
            commands::app::store_start_over,
            commands::app::home,
            commands::app::labels,
            commands::app::new_id,
            commands::zoom::zoom_restore,
            commands::zoom::zoom_set,
            commands::presenter::presenter_open,
            commands::presenter::presenter_close,
            commands::presenter::presenter_update,
            commands::app::ui_ready,
            commands::first_start::first_start,
            commands::first_start::welcome_choose,
            commands::first_start::welcome_done,
            commands::catalogue::catalogue,
            commands::communes::communes_search,
            commands::communes::commune_sheet,
            commands::communes::commune_map,
            commands::communes::commune_neighbourhood,
            commands::schools::school_save,
            commands::schools::schools_import,
            commands::visits::visit_create,
            commands::visits::visit_get,
            commands::visits::visits_list,
            commands::visits::visit_rows,
            commands::visits::visit_update,
            commands::visits::participant_save,
            commands::visits::participant_delete,
            commands::workflow::workflow,
            commands::workflow::workflow_options,
            commands::workflow::pedagogy_save,
            commands::workflow::class_save,
            commands::workflow::class_delete,
            commands::workflow::school_situation_save,
            commands::workflow::scenario_add,
            commands::workflow::scenario_rename,
            commands::workflow::scenario_delete,
            commands::workflow::line_save,
            commands::workflow::line_delete,
            commands::workflow::line_reprice,
            commands::workflow::socle_suggestions,
            commands::proposals::proposals_list,
            commands::proposals::proposal_draft,
            commands::proposals::proposal_update,
            commands::proposals::proposal_issue,
            commands::proposals::proposal_accept,
            commands::proposals::proposal_refuse,
            commands::proposals::proposal_open,
            commands::proposals::proposal_save,
            commands::proposals::proposal_print,
            commands::proposals::project_sheets_open,
            commands::proposals::document_settings,
            commands::proposals::document_settings_save,
            commands::proposals::logo_png,
            commands::proposals::logo_set,
            commands::export::visit_export_save,
            commands::export::visits_export_all,
            commands::sync::sync_status,
            commands::sync::sync_enroll,
            commands::sync::sync_now,
            commands::sync::sync_conflicts,
            commands::sync::sync_conflict_resolve,
            commands::journal::journal_read,
            commands::journal::journal_write,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "Préau stopped with an error");
        std::process::exit(1);
    }
}
