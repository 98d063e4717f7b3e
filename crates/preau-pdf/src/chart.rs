//! « Qui paie quoi » in the scenario comparison: one horizontal bar per scenario cut into
//! the grants (per funder, in the plan's order), the FCTVA and the commune's share, all on
//! one scale, then a legend. The same parts in the same order as the app's presentation
//! chart (`ui/src/lib/presentation.ts`, `whoPays` and `payers`). Every amount is the
//! plan's; the only arithmetic here is turning cents into widths.

use preau_core::format::euros;
use preau_core::plan::FundingPlan;
use preau_core::proposals::ScenarioSnapshot;

use crate::canvas::*;
use crate::fonts::Face;

/// Who a part of the total TTC comes from; stable across scenarios so that a funder keeps
/// its colour in every bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payer {
    Aid(String),
    Fctva,
    Commune,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub payer: Payer,
    pub label: String,
    pub cents: i64,
}

/// The grants that bring money, in the plan's order, the FCTVA, then the commune; a part of
/// 0 € (or less) is left out. They add up to the total TTC: the core computes the
/// commune's share as TTC − aids − FCTVA.
pub(crate) fn who_pays(plan: &FundingPlan) -> Vec<Part> {
    let mut parts: Vec<Part> = plan
        .aids
        .iter()
        .filter(|a| a.amount_cents > 0)
        .map(|a| Part {
            payer: Payer::Aid(a.programme_id.clone()),
            label: a.name.clone(),
            cents: a.amount_cents,
        })
        .collect();
    if plan.fctva_cents > 0 {
        parts.push(Part {
            payer: Payer::Fctva,
            label: "FCTVA".into(),
            cents: plan.fctva_cents,
        });
    }
    if plan.remaining_ttc_cents > 0 {
        parts.push(Part {
            payer: Payer::Commune,
            label: "Commune".into(),
            cents: plan.remaining_ttc_cents,
        });
    }
    parts
}

/// Every payer of the plans in order of first appearance, the commune last: one legend
/// for all the bars.
pub(crate) fn payers<'a>(plans: impl IntoIterator<Item = &'a FundingPlan>) -> Vec<Part> {
    let mut seen: Vec<Part> = Vec::new();
    for plan in plans {
        for part in who_pays(plan) {
            if !seen.iter().any(|p| p.payer == part.payer) {
                seen.push(part);
            }
        }
    }
    seen.sort_by_key(|p| p.payer == Payer::Commune);
    seen
}

/// The x offset and width of each part in a bar `width` points wide where `scale_cents`
/// fills the whole bar. Widths never go negative and never overrun the bar.
pub(crate) fn widths(parts: &[Part], scale_cents: i64, width: f32) -> Vec<(f32, f32)> {
    let mut x = 0.0_f32;
    parts
        .iter()
        .map(|p| {
            let w = if scale_cents > 0 {
                (p.cents.max(0) as f64 / scale_cents as f64 * f64::from(width)) as f32
            } else {
                0.0
            };
            let w = w.min(width - x).max(0.0);
            let at = (x, w);
            x += w;
            at
        })
        .collect()
}

// The grants in greens, browns and light blues (the syndicate's dark blue is the accent,
// which the commune's share takes), the FCTVA in violet, as in the app.
const GRANTS: [Colour; 5] = [
    Colour::hex(0x3f8f4f),
    Colour::hex(0xc0642c),
    Colour::hex(0x3d8bbd),
    Colour::hex(0x8a5a14),
    Colour::hex(0x5b6b7a),
];
const FCTVA: Colour = Colour::hex(0x7b5ea7);
/// Closer than this to the accent, a grant's colour is skipped.
const MIN_DISTANCE: f32 = 90.0;

fn colour(payer: &Payer, legend: &[Part], accent: Colour) -> Colour {
    match payer {
        Payer::Commune => accent,
        Payer::Fctva => FCTVA,
        Payer::Aid(_) => {
            let i = legend
                .iter()
                .filter(|p| matches!(p.payer, Payer::Aid(_)))
                .position(|p| &p.payer == payer)
                .unwrap_or(0);
            // A grant never looks like the commune's share, whatever the letterhead's colour.
            let palette: Vec<Colour> = GRANTS
                .into_iter()
                .filter(|g| g.distance(accent) > MIN_DISTANCE)
                .collect();
            let palette = if palette.is_empty() {
                &GRANTS[..]
            } else {
                &palette[..]
            };
            palette[i % palette.len()]
        }
    }
}

const LABEL_W: f32 = 74.0;
const TOTAL_W: f32 = 78.0;
const BAR_H: f32 = 14.0;
const NOTE: Style = Style::new(Face::Regular, 7.5);
const SWATCH: f32 = 7.5;

/// The bars of `scenarios` and their legend, kept together on one page; the commune's share
/// in the letterhead's accent.
pub(crate) fn who_pays_what(c: &mut Canvas, scenarios: &[ScenarioSnapshot]) {
    let accent = c.accent;
    let legend = payers(scenarios.iter().map(|s| &s.plan));
    let scale = scenarios
        .iter()
        .map(|s| s.plan.total_ttc_cents)
        .max()
        .unwrap_or(0);
    let bar_x = MARGIN_X + LABEL_W;
    let bar_w = BODY_W - LABEL_W - TOTAL_W;
    let notes: Vec<Vec<String>> = scenarios
        .iter()
        .map(|s| {
            let text = who_pays(&s.plan)
                .iter()
                // A no-break space: an amount never starts a line away from its payer.
                .map(|p| format!("{}\u{a0}{}", p.label, euros(p.cents)))
                .collect::<Vec<_>>()
                .join(" · ");
            c.fonts.wrap(NOTE.face, &text, NOTE.size, bar_w)
        })
        .collect();
    let rows_h: f32 = notes
        .iter()
        .map(|n| BAR_H + 3.0 + n.len() as f32 * NOTE.leading() + 6.0)
        .sum();
    c.subheading("Qui paie quoi (montants TTC)", rows_h + 24.0);
    for (sc, note) in scenarios.iter().zip(&notes) {
        let top = c.y;
        let label = format!("Scénario {}", sc.label);
        let bold = Style::new(Face::Bold, 8.5);
        let mid = top + BAR_H / 2.0 + 3.0;
        c.text_at(MARGIN_X, mid, bold, Align::Left, &label);
        c.fill_rect(bar_x, top, bar_w, BAR_H, FILL);
        let parts = who_pays(&sc.plan);
        for (p, (x, w)) in parts.iter().zip(widths(&parts, scale, bar_w)) {
            if w > 0.0 {
                c.fill_rect(bar_x + x, top, w, BAR_H, colour(&p.payer, &legend, accent));
            }
        }
        c.text_at(
            PAGE_W - MARGIN_X,
            mid,
            bold,
            Align::Right,
            &euros(sc.plan.total_ttc_cents),
        );
        c.y = top + BAR_H + 3.0;
        for line in note {
            c.text_at(bar_x, c.y + NOTE.size, NOTE.color(MUTED), Align::Left, line);
            c.y += NOTE.leading();
        }
        c.space(6.0);
    }
    legend_row(c, &legend, accent);
}

/// Swatches and names side by side, wrapping under the bars.
fn legend_row(c: &mut Canvas, legend: &[Part], accent: Colour) {
    let style = NOTE;
    let right = PAGE_W - MARGIN_X;
    let start = MARGIN_X + LABEL_W;
    let mut x = start;
    c.ensure(style.leading() * 2.0);
    for p in legend {
        // A name longer than the whole row is cut with « … » (it is written out in full
        // under the bars).
        let label = c.fit(style, &p.label, right - start - SWATCH - 4.0);
        let w = SWATCH + 4.0 + c.fonts.width(style.face, &label, style.size) + 12.0;
        if x + w - 12.0 > right && x > start {
            x = start;
            c.y += style.leading() + 2.0;
            c.ensure(style.leading());
        }
        c.fill_rect(
            x,
            c.y + 1.0,
            SWATCH,
            SWATCH,
            colour(&p.payer, legend, accent),
        );
        c.text_at(
            x + SWATCH + 4.0,
            c.y + style.size,
            style,
            Align::Left,
            &label,
        );
        x += w;
    }
    c.y += style.leading() + 4.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use preau_core::plan::{AidLine, Base, RuleStatus};

    fn aid(id: &str, cents: i64) -> AidLine {
        AidLine {
            programme_id: id.into(),
            name: format!("Aide {id}"),
            status: RuleStatus::Sourced,
            base: Base::Ht,
            base_cents: 0,
            rate_ppm: 0,
            amount_cents: cents,
            explanation: String::new(),
        }
    }

    fn plan(aids: Vec<AidLine>, fctva: i64, remaining: i64) -> FundingPlan {
        let total_aid: i64 = aids.iter().map(|a| a.amount_cents).sum();
        FundingPlan {
            rules_version: String::new(),
            total_ht_cents: 0,
            vat: vec![],
            total_vat_cents: 0,
            total_ttc_cents: total_aid + fctva + remaining,
            aids,
            total_aid_cents: total_aid,
            not_applicable: vec![],
            not_computed: vec![],
            capped: false,
            fctva_base_ttc_cents: 0,
            fctva_rate_ppm: 0,
            fctva_status: RuleStatus::Sourced,
            fctva_cents: fctva,
            remaining_ht_cents: 0,
            remaining_ttc_cents: remaining,
            yearly_running_ttc_cents: 0,
            life_years: 5,
            total_cost_over_life_cents: 0,
            cost_per_pupil_per_year_cents: None,
        }
    }

    #[test]
    fn parts_are_grants_then_fctva_then_commune_without_zeros() {
        let p = plan(vec![aid("b", 500), aid("z", 0), aid("a", 300)], 200, 1000);
        let payers: Vec<Payer> = who_pays(&p).into_iter().map(|p| p.payer).collect();
        assert_eq!(
            payers,
            [
                Payer::Aid("b".into()),
                Payer::Aid("a".into()),
                Payer::Fctva,
                Payer::Commune
            ]
        );
        let total: i64 = who_pays(&p).iter().map(|p| p.cents).sum();
        assert_eq!(total, p.total_ttc_cents);
    }

    #[test]
    fn the_legend_lists_each_payer_once_with_the_commune_last() {
        let a = plan(vec![aid("x", 100)], 0, 50);
        let b = plan(vec![aid("y", 100), aid("x", 10)], 20, 50);
        let legend: Vec<Payer> = payers([&a, &b]).into_iter().map(|p| p.payer).collect();
        assert_eq!(
            legend,
            [
                Payer::Aid("x".into()),
                Payer::Aid("y".into()),
                Payer::Fctva,
                Payer::Commune
            ]
        );
    }

    #[test]
    fn bars_share_one_scale_and_never_overrun() {
        let big = plan(vec![aid("x", 4000)], 1000, 5000);
        let small = plan(vec![], 0, 5000);
        let scale = big.total_ttc_cents;
        let full: f32 = widths(&who_pays(&big), scale, 300.0)
            .iter()
            .map(|(_, w)| w)
            .sum();
        assert!((full - 300.0).abs() < 0.01, "{full}");
        let half: f32 = widths(&who_pays(&small), scale, 300.0)
            .iter()
            .map(|(_, w)| w)
            .sum();
        assert!((half - 150.0).abs() < 0.01, "{half}");
        // A scale smaller than the parts (it cannot happen from a plan) still stays inside.
        let over = widths(&who_pays(&big), 1, 300.0);
        assert!(over.iter().all(|(x, w)| *w >= 0.0 && x + w <= 300.0 + 1e-3));
        assert!(widths(&who_pays(&big), 0, 300.0)
            .iter()
            .all(|(_, w)| *w == 0.0));
    }

    #[test]
    fn no_grant_takes_a_colour_close_to_the_accent() {
        let legend = payers([&plan(
            (0..7).map(|i| aid(&i.to_string(), 100)).collect(),
            10,
            10,
        )]);
        for accent in [0x1d4e89, 0x2e6b3a, 0x8a5a14, 0x000000, 0x5b6b7a] {
            let accent = Colour::hex(accent);
            for p in &legend {
                let c = colour(&p.payer, &legend, accent);
                if p.payer == Payer::Commune {
                    assert_eq!(c, accent);
                } else if p.payer != Payer::Fctva {
                    assert!(c.distance(accent) > MIN_DISTANCE, "{c:?} near {accent:?}");
                }
            }
        }
    }
}
