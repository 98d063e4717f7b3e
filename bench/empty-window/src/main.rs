//! An empty Tauri 2 window that prints `READY <unix ms>` once its page has loaded.

#[tauri::command]
fn ready() {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    println!("READY {ms}");
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .ok();
}
