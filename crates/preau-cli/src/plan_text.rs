//! The funding plans of a visit as text, one "label<TAB>amount" line per figure.

use std::fmt::Write;

use preau_core::format::{euros, percent};
use preau_core::plan::{FundingPlan, RuleStatus};
use preau_core::workflow::Scenario;

fn status(s: RuleStatus) -> String {
    match s {
        RuleStatus::Sourced => String::new(),
        other => format!(" ({})", other.label()),
    }
}

pub fn render(plans: &[(Scenario, FundingPlan)]) -> String {
    let mut out = String::new();
    if plans.is_empty() {
        out.push_str("Aucun scénario pour cette visite.\n");
    }
    for (scenario, p) in plans {
        let title = if scenario.title.is_empty() {
            String::new()
        } else {
            format!(" — {}", scenario.title)
        };
        let _ = writeln!(out, "Scénario {}{title}", scenario.label);
        let mut line = |label: &str, cents: i64| {
            let _ = writeln!(out, "  {label}\t{}", euros(cents));
        };
        line("Total HT", p.total_ht_cents);
        for v in &p.vat {
            line(&format!("TVA {}", percent(v.rate_bp * 100)), v.vat_cents);
        }
        line("Total TTC", p.total_ttc_cents);
        for a in &p.aids {
            line(
                &format!("Aide {}{}", a.name, status(a.status)),
                a.amount_cents,
            );
        }
        line("Total des aides", p.total_aid_cents);
        line(
            &format!(
                "FCTVA {}{}",
                percent(p.fctva_rate_ppm),
                status(p.fctva_status)
            ),
            p.fctva_cents,
        );
        line("Reste à charge HT", p.remaining_ht_cents);
        line("Reste à charge TTC", p.remaining_ttc_cents);
        line("Fonctionnement annuel TTC", p.yearly_running_ttc_cents);
        line(
            &format!("Coût total sur {} ans", p.life_years),
            p.total_cost_over_life_cents,
        );
        if let Some(per_pupil) = p.cost_per_pupil_per_year_cents {
            line("Coût par élève et par an", per_pupil);
        }
        for a in p.aids.iter().chain(&p.not_applicable) {
            let _ = writeln!(out, "  · {} : {}", a.name, a.explanation);
        }
        for u in &p.not_computed {
            let _ = writeln!(
                out,
                "  · {}{} : non chiffré. {}",
                u.name,
                status(u.status),
                u.reason
            );
        }
        out.push('\n');
    }
    out
}
