//! Carte: the département's communes drawn from the shipped contours
//! (`preau_reference::geo`, no tile server), each coloured by where the service stands
//! there, the EPCI borders over them, a legend, and the same states as a table.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::visits::select;
use super::WebError;
use preau_reference::stage::Stage;

use crate::storage::Campaign;
use crate::web::data::{self, Status, Visit};
use crate::web::html::{encode, integer, page};
use crate::web::session::Staff;
use crate::web::{Page, WebState, PREFIX};

/// A commune's stage and how many visits it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub stage: Stage,
    pub visits: usize,
}

/// What the figures count: one adviser's visits, one campaign's proposals.
#[derive(Debug, Default)]
pub struct Scope<'a> {
    pub adviser: Option<&'a str>,
    /// Proposals priced with its catalogue and issued by its cut-off date; visits
    /// scheduled by then.
    pub campaign: Option<&'a Campaign>,
}

/// The standing of each commune visited within `scope`, from the live visits and their
/// issued proposals (the others are members or not, as the reference says).
pub fn standings(visits: &[Visit], scope: &Scope) -> HashMap<String, Standing> {
    let mut out: HashMap<String, Standing> = HashMap::new();
    let by_cutoff = |d: Option<NaiveDate>| {
        scope
            .campaign
            .is_none_or(|c| d.is_none_or(|d| d <= c.cutoff))
    };
    for v in visits {
        if scope.adviser.is_some_and(|a| a != v.adviser) || !by_cutoff(v.scheduled_on) {
            continue;
        }
        let mut stage = Stage::Visited;
        for p in &v.proposals {
            let counted = scope
                .campaign
                .is_none_or(|c| p.catalogue_version == c.catalogue_version)
                && by_cutoff(p.issued_on);
            if counted {
                stage = stage.max(match p.status {
                    Status::Accepted => Stage::Accepted,
                    Status::Pending | Status::Refused | Status::Expired => Stage::Issued,
                });
            }
        }
        let s = out
            .entry(v.insee.clone())
            .or_insert(Standing { stage, visits: 0 });
        s.stage = s.stage.max(stage);
        s.visits += 1;
    }
    out
}

/// The drawn département and each commune's reference row, made once.
struct Drawn {
    map: preau_reference::geo::Map,
    /// The EPCI borders' path.
    borders: String,
    communes: HashMap<String, preau_reference::communes::Commune>,
}

fn drawn() -> Option<&'static Drawn> {
    static DRAWN: OnceLock<Option<Drawn>> = OnceLock::new();
    DRAWN
        .get_or_init(|| {
            let map = preau_reference::geo::Map::somme()
                .map_err(|e| tracing::error!(error = %e, "embedded contours unreadable"))
                .ok()?;
            let communes: HashMap<String, preau_reference::communes::Commune> =
                preau_reference::communes::all()
                    .map_err(|e| tracing::error!(error = %e, "embedded communes unreadable"))
                    .ok()?
                    .into_iter()
                    .map(|c| (c.insee.clone(), c))
                    .collect();
            let borders = map.borders(|insee| communes.get(insee).and_then(|c| c.epci.clone()));
            Some(Drawn {
                map,
                borders,
                communes,
            })
        })
        .as_ref()
}

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    conseiller: String,
    #[serde(default)]
    campagne: String,
}

fn swatch(stage: Stage) -> Markup {
    html! {
        svg class="swatch" viewBox="0 0 16 12" aria-hidden="true" focusable="false" {
            rect class=(stage.key()) width="16" height="12" {}
        }
    }
}

/// The hatching of the communes outside the syndicate (colour is not the only cue).
fn defs() -> Markup {
    html! {
        defs {
            pattern id="hachure-hors" width="5" height="5" patternUnits="userSpaceOnUse"
                patternTransform="rotate(45)" {
                rect width="5" height="5" class="fond-hors" {}
                line x1="0" y1="0" x2="0" y2="5" class="trait-hors" {}
            }
        }
    }
}

pub async fn show(
    State(state): State<WebState>,
    staff: Staff,
    Query(filters): Query<Filters>,
) -> Result<Markup, WebError> {
    staff.may(Page::Map)?;
    let drawn = drawn().ok_or_else(|| {
        WebError::Internal(crate::error::Error::Reference(
            "embedded contours unreadable".into(),
        ))
    })?;
    let today = Utc::now().date_naive();
    let visits = data::visits(state.storage.as_ref(), &state.cache, today).await?;
    let campaigns = state.storage.campaigns().await?;
    let advisers: BTreeSet<String> = visits.iter().map(|v| v.adviser.clone()).collect();
    let campaign = campaigns
        .iter()
        .find(|c| c.id.to_string() == filters.campagne);
    let scope = Scope {
        adviser: Some(filters.conseiller.as_str()).filter(|a| !a.is_empty()),
        campaign,
    };
    let member = |insee: &str| drawn.communes.get(insee).is_some_and(|c| c.member);
    let standings = standings(&visits, &scope);
    let stage = |insee: &str| {
        standings
            .get(insee)
            .map_or_else(|| Stage::unvisited(member(insee)), |s| s.stage)
    };
    let mut counts: HashMap<Stage, u64> = HashMap::new();
    for shape in &drawn.map.communes {
        *counts.entry(stage(&shape.insee)).or_default() += 1;
    }
    let links = Page::Visits.allows(staff.user.role);
    let visits_of = |insee: &str| format!("{PREFIX}/visites?commune={}", encode(insee));
    // The most advanced first, then by name: what happened comes before the rest.
    let mut rows: Vec<(Stage, String, &preau_reference::geo::Shape)> = drawn
        .map
        .communes
        .iter()
        .map(|c| {
            (
                stage(&c.insee),
                preau_reference::text::fold_plain(&c.name),
                c,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let advisers: Vec<(String, String)> = advisers.into_iter().map(|a| (a.clone(), a)).collect();
    let body = html! {
        div class="carte" {
            svg class="map" viewBox=(drawn.map.view_box()) role="group"
                aria-labelledby="carte-legende" {
                (defs())
                g class="communes" {
                    @for shape in &drawn.map.communes {
                        @let s = stage(&shape.insee);
                        @let n = standings.get(&shape.insee).map_or(0, |s| s.visits);
                        @let tip = format!("{} — {}{}", shape.name, s.label(),
                            if n > 0 { format!(" ({} visite{})", n, if n > 1 { "s" } else { "" }) } else { String::new() });
                        @if links && n > 0 {
                            a href=(visits_of(&shape.insee)) {
                                title { (tip) }
                                path class=(s.key()) data-insee=(shape.insee) d=(shape.d) {}
                            }
                        } @else {
                            path class=(s.key()) data-insee=(shape.insee) d=(shape.d) {
                                title { (tip) }
                            }
                        }
                    }
                }
                path class="epci" d=(drawn.borders) {}
            }
            div class="cote" {
                form class="filters" method="get" action=(format!("{PREFIX}/carte")) {
                    (select("conseiller", "Conseiller", &filters.conseiller, &advisers))
                    label { "Campagne"
                        select name="campagne" {
                            option value="" selected[campaign.is_none()] { "Toutes" }
                            @for c in &campaigns {
                                @let id = c.id.to_string();
                                option value=(id) selected[filters.campagne == id] { (c.name) }
                            }
                        }
                    }
                    button type="submit" { "Filtrer" }
                }
                div class="legende" {
                    h2 id="carte-legende" { "Communes de la Somme" }
                    @if let Some(c) = campaign { p class="notice" { "Campagne « " (c.name) " »." } }
                    @if let Some(a) = scope.adviser { p class="notice" { "Visites de " (a) "." } }
                    ul {
                        @for st in Stage::ALL.iter().rev() {
                            li { (swatch(*st)) span { (st.label()) " : "
                                strong data-figure=(format!("carte-{}", st.key())) {
                                    (integer(counts.get(st).copied().unwrap_or(0)))
                                }
                            } }
                        }
                        li { svg class="swatch" viewBox="0 0 16 12" aria-hidden="true" focusable="false" {
                            line class="epci" x1="0" y1="6" x2="16" y2="6" {}
                        } span { "Limite d’EPCI" } }
                    }
                    @if links {
                        p class="notice" { "Un clic sur une commune visitée ouvre ses visites." }
                    }
                }
            }
        }
        h2 { "Les communes et leur état" }
        div class="scroll tall" tabindex="0" role="region" aria-label="Communes et leur état" {
            table {
                caption { "État du service par commune" }
                thead { tr {
                    th scope="col" { "Commune" } th scope="col" { "EPCI" }
                    th scope="col" { "État" } th scope="col" class="num" { "Visites" }
                } }
                tbody {
                    @for (s, _, shape) in rows {
                        @let n = standings.get(&shape.insee).map_or(0, |s| s.visits);
                        tr data-insee=(shape.insee) {
                            th scope="row" {
                                @if links && n > 0 {
                                    a href=(visits_of(&shape.insee)) { (shape.name) }
                                } @else { (shape.name) }
                            }
                            td { (drawn.communes.get(&shape.insee).and_then(|c| c.epci.clone()).unwrap_or_default()) }
                            td { span class=(format!("pastille {}", s.key())) {} " " (s.label()) }
                            td class="num" { (n) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&staff, Page::Map, "Carte", body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::data::{Amounts, Proposal};
    use proptest::prelude::*;

    fn proposal(status: Status, version: &str, issued: u32) -> Proposal {
        Proposal {
            id: String::new(),
            visit_id: String::new(),
            number: String::new(),
            revision: 1,
            status,
            issued_on: NaiveDate::from_ymd_opt(2026, 12, issued),
            valid_until: None,
            decided_on: None,
            accepted_scenario_id: None,
            deliberated_on: None,
            adviser: String::new(),
            commune: String::new(),
            insee: String::new(),
            epci: None,
            scenarios: vec![data::Scenario {
                id: String::new(),
                label: "A".into(),
                title: String::new(),
                amounts: Amounts::default(),
                lines: Vec::new(),
            }],
            pdf_sha256: None,
            catalogue_version: version.into(),
            lots: HashMap::new(),
        }
    }

    fn visit(insee: &str, adviser: &str, day: u32, proposals: Vec<Proposal>) -> Visit {
        Visit {
            id: String::new(),
            insee: insee.into(),
            commune: String::new(),
            epci: None,
            adviser: adviser.into(),
            scheduled_on: NaiveDate::from_ymd_opt(2026, 12, day),
            proposals,
        }
    }

    fn campaign(version: &str, cutoff: u32) -> Campaign {
        Campaign {
            id: uuid::Uuid::now_v7(),
            name: "c".into(),
            cutoff: NaiveDate::from_ymd_opt(2026, 12, cutoff).expect("date"),
            catalogue_version: version.into(),
            created_at: chrono::Utc::now(),
            created_by: String::new(),
        }
    }

    #[test]
    fn the_most_advanced_stage_wins_within_the_scope() {
        let visits = vec![
            visit("80620", "Anne", 1, vec![proposal(Status::Refused, "c1", 2)]),
            visit(
                "80620",
                "Paul",
                3,
                vec![proposal(Status::Accepted, "c2", 4)],
            ),
            visit("80001", "Anne", 10, vec![]),
        ];
        let all = standings(&visits, &Scope::default());
        assert_eq!(
            all["80620"],
            Standing {
                stage: Stage::Accepted,
                visits: 2
            }
        );
        assert_eq!(all["80001"].stage, Stage::Visited);
        assert!(!all.contains_key("80021"));
        let anne = standings(
            &visits,
            &Scope {
                adviser: Some("Anne"),
                campaign: None,
            },
        );
        assert_eq!(
            anne["80620"],
            Standing {
                stage: Stage::Issued,
                visits: 1
            }
        );
        // Campaign c1, cut off on the 5th: Paul's proposal is priced with c2, Abbeville
        // visited after the cut-off.
        let c1 = campaign("c1", 5);
        let scoped = standings(
            &visits,
            &Scope {
                adviser: None,
                campaign: Some(&c1),
            },
        );
        assert_eq!(
            scoped["80620"],
            Standing {
                stage: Stage::Issued,
                visits: 2
            }
        );
        assert!(!scoped.contains_key("80001"));
    }

    fn status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        /// A commune's stage is the most advanced of its visits' (visited, or what its
        /// proposals reached), and a narrower scope (one adviser) never shows more.
        #[test]
        fn stages_are_the_most_advanced_and_narrowing_never_adds(
            raw in prop::collection::vec(
                (0..3usize, 0..2usize, prop::collection::vec(status(), 0..3)),
                0..12,
            ),
        ) {
            let communes = ["80001", "80021", "80620"];
            let advisers = ["Anne", "Paul"];
            let visits: Vec<Visit> = raw
                .iter()
                .map(|(c, a, ps)| visit(
                    communes[*c],
                    advisers[*a],
                    1,
                    ps.iter().map(|s| proposal(*s, "c1", 1)).collect(),
                ))
                .collect();
            let all = standings(&visits, &Scope::default());
            for insee in communes {
                let expected = visits
                    .iter()
                    .filter(|v| v.insee == insee)
                    .map(|v| {
                        if v.proposals.iter().any(|p| p.status == Status::Accepted) {
                            Stage::Accepted
                        } else if v.proposals.is_empty() {
                            Stage::Visited
                        } else {
                            Stage::Issued
                        }
                    })
                    .max();
                prop_assert_eq!(all.get(insee).map(|s| s.stage), expected);
                for a in advisers {
                    let one = standings(&visits, &Scope { adviser: Some(a), campaign: None });
                    prop_assert!(one.get(insee).map(|s| s.stage) <= all.get(insee).map(|s| s.stage));
                }
            }
        }
    }
}
