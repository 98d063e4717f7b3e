//! IPC commands, one module per feature. Each is a thin call into preau-core; all run off
//! the main thread (`async`) so a long import never freezes the window.

pub mod app;
pub mod catalogue;
pub mod communes;
pub mod export;
pub mod first_start;
pub mod journal;
pub mod presenter;
pub mod proposals;
pub mod schools;
pub mod sync;
pub mod visits;
pub mod workflow;
pub mod zoom;
