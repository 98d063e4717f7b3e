//! Ctrl + / − / 0: the webview's zoom, saved in the laptop's store (`preau_core::zoom`).

use preau_core::zoom::Zoom;
use preau_core::ErrorCode;
use tauri::{State, Webview};

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

fn apply(webview: &Webview, zoom: Zoom) -> IpcResult<Zoom> {
    webview.set_zoom(zoom.factor()).map_err(|e| {
        tracing::warn!("set_zoom({}) failed: {e}", zoom.percent);
        IpcError::new(ErrorCode::Internal, "Le zoom n’a pas pu être appliqué.")
    })?;
    Ok(zoom)
}

/// Applies the zoom saved on this laptop (at start, once the store is open). The normal
/// size is what the webview starts with: it is left alone.
#[tauri::command(async)]
pub fn zoom_restore(webview: Webview, state: State<'_, AppState>) -> IpcResult<Zoom> {
    let zoom = state.with_store(|s| s.zoom())?;
    if zoom == Zoom::NORMAL {
        return Ok(zoom);
    }
    apply(&webview, zoom)
}

/// Saves and applies a zoom; a value out of bounds is refused (field `zoom`) and changes nothing.
#[tauri::command(async)]
pub fn zoom_set(webview: Webview, state: State<'_, AppState>, percent: u16) -> IpcResult<Zoom> {
    let zoom = state.with_store(|s| s.zoom_save(Zoom::new(percent)?))?;
    apply(&webview, zoom)
}
