//! Tableau de bord: the proposal pipeline, per status, adviser, EPCI and month, and the
//! proposals about to expire without an answer.

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::{Datelike, NaiveDate, Utc};
use maud::{html, Markup};

use super::WebError;
use crate::web::data::{self, Amounts, Proposal, Status};
use crate::web::html::{date, euros, integer, money, month, page};
use crate::web::session::Staff;
use crate::web::{Page, WebState, PREFIX};

/// A pending proposal whose validity ends within this many days is listed.
pub const EXPIRING_DAYS: i64 = 15;

/// Counts and amounts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub counts: [u64; 4],
    pub amounts: [Amounts; 4],
}

impl Row {
    fn add(&mut self, p: &Proposal) {
        let i = Status::ALL.iter().position(|s| *s == p.status).unwrap_or(0);
        if let (Some(c), Some(a)) = (self.counts.get_mut(i), self.amounts.get_mut(i)) {
            *c += 1;
            *a += p.amounts();
        }
    }

    pub fn count(&self, s: Status) -> u64 {
        self.counts[s as usize]
    }

    pub fn amounts(&self, s: Status) -> Amounts {
        self.amounts[s as usize]
    }
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub total: Row,
    pub by_adviser: BTreeMap<String, Row>,
    pub by_epci: BTreeMap<String, Row>,
    /// (year, month) of issue.
    pub by_month: BTreeMap<(i32, u32), Row>,
    pub expiring: Vec<Proposal>,
}

pub fn summarise(proposals: Vec<Proposal>, today: NaiveDate) -> Summary {
    let mut s = Summary::default();
    for p in &proposals {
        s.total.add(p);
        s.by_adviser.entry(p.adviser.clone()).or_default().add(p);
        s.by_epci
            .entry(p.epci.clone().unwrap_or_else(|| "Sans EPCI".into()))
            .or_default()
            .add(p);
        if let Some(d) = p.issued_on {
            s.by_month.entry((d.year(), d.month())).or_default().add(p);
        }
    }
    s.expiring = proposals
        .into_iter()
        .filter(|p| p.status == Status::Pending)
        .filter(|p| {
            p.valid_until
                .is_some_and(|v| (v - today).num_days() <= EXPIRING_DAYS)
        })
        .collect();
    s.expiring.sort_by_key(|p| p.valid_until);
    s
}

fn tiles(total: &Row) -> Markup {
    html! {
        div class="tiles" {
            @for s in Status::ALL {
                @let a = total.amounts(s);
                div class=(format!("tile {}", s.key())) {
                    h2 { (s.label()) }
                    p class="count" { (integer(total.count(s))) }
                    dl {
                        dt { "HT" } dd data-figure=(format!("{}-ht", s.key())) { (euros(a.ht)) }
                        dt { "TTC" } dd { (euros(a.ttc)) }
                        dt { "Aides" } dd data-figure=(format!("{}-aides", s.key())) { (euros(a.aid)) }
                        dt { "Reste à charge" } dd { (euros(a.remaining)) }
                    }
                }
            }
        }
    }
}

fn breakdown<K>(
    caption: &str,
    first: &str,
    rows: &BTreeMap<K, Row>,
    name: impl Fn(&K) -> String,
) -> Markup {
    let mut total = Row::default();
    for r in rows.values() {
        for i in 0..4 {
            total.counts[i] += r.counts[i];
            total.amounts[i] += r.amounts[i];
        }
    }
    let head = html! {
        @for s in Status::ALL { th scope="col" class="num" { (s.label()) } }
        th scope="col" class="num" { "HT accepté" }
        th scope="col" class="num" { "HT en attente" }
        th scope="col" class="num" { "Aides (acceptées)" }
        th scope="col" class="num" { "Reste à charge (acceptées)" }
    };
    let cells = |r: &Row| {
        html! {
            @for s in Status::ALL { td class="num" { (integer(r.count(s))) } }
            (money(r.amounts(Status::Accepted).ht))
            (money(r.amounts(Status::Pending).ht))
            (money(r.amounts(Status::Accepted).aid))
            (money(r.amounts(Status::Accepted).remaining))
        }
    };
    html! {
        div class="scroll" tabindex="0" role="region" aria-label=(caption) { table {
            caption { (caption) }
            thead { tr { th scope="col" { (first) } (head) } }
            tbody {
                @for (k, r) in rows { tr { th scope="row" { (name(k)) } (cells(r)) } }
            }
            tfoot { tr { th scope="row" { "Total" } (cells(&total)) } }
        } }
    }
}

pub async fn show(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::Dashboard)?;
    let today = Utc::now().date_naive();
    let summary = summarise(
        data::proposals(state.storage.as_ref(), &state.cache, today).await?,
        today,
    );
    let visits_link = Page::Visits.allows(staff.user.role);
    let body = html! {
        p class="notice" {
            "Propositions émises (dernière révision de chaque numéro), montants du scénario retenu, \
             tels que les portables les ont calculés. Au " (date(today)) "."
        }
        (tiles(&summary.total))
        h2 { "Bientôt expirées sans réponse" }
        @if summary.expiring.is_empty() {
            p { "Aucune proposition en attente n’expire dans les " (EXPIRING_DAYS) " jours." }
        } @else {
            table {
                caption { "Propositions en attente expirant dans les " (EXPIRING_DAYS) " jours" }
                thead { tr {
                    th scope="col" { "Proposition" } th scope="col" { "Commune" }
                    th scope="col" { "Conseiller" } th scope="col" { "Valable jusqu’au" }
                    th scope="col" class="num" { "HT" }
                } }
                tbody {
                    @for p in &summary.expiring {
                        tr {
                            td { @if visits_link {
                                a href=(format!("{PREFIX}/visites/{}", p.visit_id)) { (p.reference()) }
                            } @else { (p.reference()) } }
                            td { (p.commune) }
                            td { (p.adviser) }
                            td { (p.valid_until.map(date).unwrap_or_default()) }
                            (money(p.amounts().ht))
                        }
                    }
                }
            }
        }
        h2 { "Par conseiller" }
        (breakdown("Propositions par conseiller", "Conseiller", &summary.by_adviser, |k: &String| k.clone()))
        h2 { "Par EPCI" }
        (breakdown("Propositions par EPCI", "EPCI", &summary.by_epci, |k: &String| k.clone()))
        h2 { "Par mois d’émission" }
        (breakdown("Propositions par mois d’émission", "Mois", &summary.by_month, |(y, m): &(i32, u32)| month(*y, *m)))
    };
    Ok(page(&staff, Page::Dashboard, "Tableau de bord", body))
}
