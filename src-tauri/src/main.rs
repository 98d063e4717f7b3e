// Hides the console window of release builds on Windows; no effect elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's accelerated compositing costs ~80 MB in the web process for a page that
    // has no animation to accelerate (measured with scripts/bench-startup.sh). Advisers'
    // laptops run on battery: render without it unless the user chose otherwise.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // Set before any thread starts: nothing else reads the environment concurrently.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    preau_app::run();
}
