//! The audit log of staff actions (admins only).

use axum::extract::State;
use maud::html;

use super::WebError;
use crate::staff::Action;
use crate::web::html::page;
use crate::web::session::Staff;
use crate::web::{Page, WebState};

/// Entries shown: the latest ones.
const SHOWN: u32 = 500;

pub async fn show(State(state): State<WebState>, staff: Staff) -> Result<maud::Markup, WebError> {
    staff.may(Page::Audit)?;
    let entries = state.storage.audit_log(SHOWN).await?;
    let body = html! {
        p class="notice" { "Les " (SHOWN) " dernières actions, les plus récentes d’abord (heures UTC)." }
        table {
            thead { tr { th scope="col" { "Quand" } th scope="col" { "Qui" } th scope="col" { "Action" }
                         th scope="col" { "Sur" } th scope="col" { "Depuis" } } }
            tbody {
                @for e in &entries {
                    @let at = e.at.format("%Y-%m-%d %H:%M:%S").to_string();
                    tr {
                        td { (at) }
                        td { (e.actor.as_deref().unwrap_or("ligne de commande")) }
                        td { (Action::parse(&e.action).map_or(e.action.as_str(), |a| a.label())) }
                        td { (e.detail) }
                        td { (e.ip.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(page(&staff, Page::Audit, "Journal des actions", body))
}
