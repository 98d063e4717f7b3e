//! The pages' frame and French typography ("12 345,67 €", "29 novembre 2026").

use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::session::Staff;
use super::{Page, PREFIX};

const STYLE: &str = include_str!("assets/style.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}

pub fn euros(cents: i64) -> String {
    preau_reference::format::euros(cents)
}

pub fn date(d: NaiveDate) -> String {
    preau_reference::format::date(d)
}

pub fn integer(n: u64) -> String {
    preau_reference::format::integer(n)
}

/// Percent-encodes a query or form value (all but the unreserved characters).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// "novembre 2026".
pub fn month(year: i32, month: u32) -> String {
    NaiveDate::from_ymd_opt(year, month, 1)
        .map(|d| {
            let full = date(d);
            full.split_once(' ')
                .map_or(full.clone(), |(_, rest)| rest.to_string())
        })
        .unwrap_or_default()
}

/// The navigation: only the pages the member may open.
fn nav(staff: &Staff, current: Page) -> Markup {
    let items = [
        (Page::Dashboard, "", "Tableau de bord"),
        (Page::Map, "/carte", "Carte"),
        (Page::Visits, "/visites", "Visites et propositions"),
        (Page::Campaigns, "/recensement", "Recensement des besoins"),
        (Page::FollowUp, "/suivi", "Suivi"),
        (Page::Balance, "/bilan", "Bilan"),
        (Page::Devices, "/postes", "Postes"),
        (Page::Reference, "/referentiel", "Référentiel"),
        (Page::Audit, "/journal", "Journal"),
    ];
    html! {
        nav aria-label="Menu principal" {
            ul {
                @for (page, path, label) in items {
                    @if page.allows(staff.user.role) {
                        li {
                            a href=(format!("{PREFIX}{path}"))
                              aria-current=[(page == current).then_some("page")] { (label) }
                        }
                    }
                }
            }
            form method="post" action=(format!("{PREFIX}/deconnexion")) class="logout" {
                input type="hidden" name="csrf" value=(staff.csrf());
                span { (staff.user.name) " · " (staff.user.role.label()) }
                button type="submit" { "Se déconnecter" }
            }
        }
    }
}

/// A page for a logged-in member.
pub fn page(staff: &Staff, current: Page, title: &str, body: Markup) -> Markup {
    frame(title, Some(nav(staff, current)), body)
}

/// The frame every page shares (the login page without navigation).
pub fn frame(title: &str, nav: Option<Markup>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Préau, bureau du syndicat" }
                link rel="stylesheet" href=(format!("{PREFIX}/style.css"));
            }
            body {
                a class="skip" href="#contenu" { "Aller au contenu" }
                header {
                    p class="brand" { "Préau" span { " · bureau du syndicat" } }
                    @if let Some(nav) = nav { (nav) }
                }
                main id="contenu" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A money cell: right-aligned, never broken.
pub fn money(cents: i64) -> Markup {
    html! { td class="num" { (euros(cents)) } }
}

/// Text that is already safe HTML (only for constants).
pub fn raw(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn french_months() {
        assert_eq!(super::month(2026, 11), "novembre 2026");
        assert_eq!(super::month(2026, 13), "");
    }
}
