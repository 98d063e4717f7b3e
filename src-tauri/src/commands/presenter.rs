//! « Montrer au maire » on a second screen (a projector in the council room): a window of
//! its own, full screen on a monitor other than the laptop's, showing the presentation
//! while the adviser keeps editing in the main window; the window follows the visit through
//! the `presentation://update` event sent on the main window's word (`presenter_update`).
//!
//! With one screen nothing opens (the presentation covers the main window instead), unless
//! the app was started with `--presenter-here` (the e2e test: Xvfb has one screen), which
//! opens the window on the laptop's screen, not full screen.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, PhysicalPosition, WebviewUrl, WebviewWindowBuilder};

use crate::error::{IpcError, IpcResult};
use preau_core::ErrorCode;

/// The presentation window's label (also named in `capabilities/default.json`).
pub const LABEL: &str = "presentation";

/// The flag that opens the presentation window on the laptop's own screen.
pub const HERE_FLAG: &str = "--presenter-here";

/// A visit id as the store makes them (a UUID): anything else is refused before it is
/// written into the window's start script.
fn checked_id(id: &str) -> IpcResult<&str> {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if ok {
        Ok(id)
    } else {
        Err(IpcError::new(
            ErrorCode::InvalidInput,
            "Identifiant de visite invalide.",
        ))
    }
}

fn failed(e: tauri::Error) -> IpcError {
    tracing::warn!("presentation window: {e}");
    IpcError::new(
        ErrorCode::Internal,
        "La fenêtre de présentation n’a pas pu s’ouvrir.",
    )
}

/// Opens (or brings back) the presentation of `visit_id` on another screen; answers false
/// when there is none, and the main window then presents itself.
#[tauri::command]
pub async fn presenter_open(app: AppHandle, visit_id: String) -> IpcResult<bool> {
    let id = checked_id(&visit_id)?.to_string();
    let here = std::env::args().any(|a| a == HERE_FLAG);
    let laptop = app
        .get_webview_window("main")
        .and_then(|w| w.current_monitor().ok().flatten());
    let other = app
        .available_monitors()
        .map_err(failed)?
        .into_iter()
        .find(|m| laptop.as_ref().is_none_or(|l| l.position() != m.position()));
    if other.is_none() && !here {
        return Ok(false);
    }
    if let Some(window) = app.get_webview_window(LABEL) {
        window.close().map_err(failed)?;
    }
    let script = format!("window.__PREAU_PRESENTER__ = {};", serde_json::json!(id));
    let builder = WebviewWindowBuilder::new(&app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Préau — présentation")
        .initialization_script(&script)
        .focused(false);
    match other {
        Some(monitor) if !here => {
            let window = builder.visible(false).build().map_err(failed)?;
            let PhysicalPosition { x, y } = *monitor.position();
            window
                .set_position(PhysicalPosition::new(x, y))
                .map_err(failed)?;
            window.set_fullscreen(true).map_err(failed)?;
            window.show().map_err(failed)?;
        }
        _ => {
            builder.inner_size(1024.0, 700.0).build().map_err(failed)?;
        }
    }
    Ok(true)
}

/// What the presentation window is told: read the visit again, show this scenario.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    visit_id: String,
    scenario_id: Option<String>,
}

/// Tells the presentation window (if open) that the visit changed and which scenario the
/// adviser shows.
#[tauri::command]
pub async fn presenter_update(
    app: AppHandle,
    visit_id: String,
    scenario_id: Option<String>,
) -> IpcResult<()> {
    let visit_id = checked_id(&visit_id)?.to_string();
    let scenario_id = scenario_id
        .map(|s| checked_id(&s).map(str::to_string))
        .transpose()?;
    if app.get_webview_window(LABEL).is_some() {
        app.emit_to(
            LABEL,
            "presentation://update",
            Update {
                visit_id,
                scenario_id,
            },
        )
        .map_err(failed)?;
    }
    Ok(())
}

/// Closes the presentation window, if open.
#[tauri::command]
pub async fn presenter_close(app: AppHandle) -> IpcResult<()> {
    if let Some(window) = app.get_webview_window(LABEL) {
        window.close().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_uuid_reaches_the_start_script() {
        assert!(super::checked_id("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "x", "\";alert(1);//", "../", &"a".repeat(65)] {
            assert!(super::checked_id(bad).is_err(), "{bad}");
        }
    }
}
