//! The money of a scenario: totals, VAT, grants, FCTVA, remaining cost, running costs.
//! Pure functions on plain data, in integer cents.
//!
//! Rounding rule (written down once, applied everywhere):
//! - a line's HT is `quantity × unit price HT`, exact;
//! - VAT is computed per rate on the sum of the lines' HT at that rate, rounded half-up to
//!   the cent (not line by line), as on an invoice;
//! - a rate applied to an amount (grant, FCTVA) is rounded half-up to the cent;
//! - ceilings and the own-share cap are applied after rounding, on cents.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::BudgetSection;

// The funding rules are reference data, read and checked by the parsers' crate (the server
// checks the rules it publishes with the same code); re-exported under their old paths.
pub use preau_reference::funding::{
    Base, FundingRules, Programme, RuleStatus, UncomputedProgramme, FULL_PPM,
};

/// `amount × ppm / 1 000 000`, rounded half-up to the cent (amounts are never negative).
pub fn apply_rate(amount_cents: i64, rate_ppm: u32) -> i64 {
    let product = i128::from(amount_cents) * i128::from(rate_ppm);
    let full = i128::from(FULL_PPM);
    let rounded = (product + full / 2).div_euclid(full);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

fn bp_to_ppm(bp: u32) -> u32 {
    bp.saturating_mul(100)
}

/// One priced equipment line of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub quantity: u32,
    pub unit_price_cents: i64,
    pub vat_rate_bp: u32,
    pub section: BudgetSection,
    pub strand: Option<String>,
    /// A running cost billed every year (licence, maintenance), not a one-off purchase.
    pub yearly: bool,
}

impl PricedLine {
    pub fn total_ht(&self) -> i64 {
        self.unit_price_cents
            .saturating_mul(i64::from(self.quantity))
    }
}

/// Facts of the visit the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanContext {
    pub commune_population: u32,
    pub schools: u32,
    pub classes: u32,
    pub pupils: u32,
    /// Years over which the total cost is shown (the equipment's life).
    pub life_years: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VatLine {
    pub rate_bp: u32,
    pub base_ht_cents: i64,
    pub vat_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AidLine {
    pub programme_id: String,
    pub name: String,
    pub status: RuleStatus,
    pub base: Base,
    pub base_cents: i64,
    pub rate_ppm: u32,
    pub amount_cents: i64,
    /// One French sentence saying how the amount was reached.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FundingPlan {
    pub rules_version: String,
    pub total_ht_cents: i64,
    pub vat: Vec<VatLine>,
    pub total_vat_cents: i64,
    pub total_ttc_cents: i64,
    pub aids: Vec<AidLine>,
    pub total_aid_cents: i64,
    /// Programmes that do not apply, with the reason (population, no eligible line…).
    pub not_applicable: Vec<AidLine>,
    /// Programmes whose amount cannot be computed, with the reason (every plan lists them).
    pub not_computed: Vec<UncomputedProgramme>,
    /// True when the own-share cap reduced the aids.
    pub capped: bool,
    pub fctva_base_ttc_cents: i64,
    pub fctva_rate_ppm: u32,
    pub fctva_status: RuleStatus,
    pub fctva_cents: i64,
    pub remaining_ht_cents: i64,
    /// TTC minus aids minus FCTVA (the FCTVA is recovered later, usually within two years).
    pub remaining_ttc_cents: i64,
    pub yearly_running_ttc_cents: i64,
    pub life_years: u32,
    /// Remaining TTC of the one-off purchases + yearly running costs × life years.
    pub total_cost_over_life_cents: i64,
    /// `None` when the schools have no pupils recorded.
    pub cost_per_pupil_per_year_cents: Option<i64>,
}

fn euros(cents: i64) -> String {
    crate::format::euros(cents)
}

fn pct(ppm: u32) -> String {
    crate::format::percent(ppm)
}

/// Computes the funding plan of one scenario.
pub fn compute(lines: &[PricedLine], rules: &FundingRules, ctx: PlanContext) -> FundingPlan {
    // Totals and VAT per rate.
    let mut vat: Vec<VatLine> = Vec::new();
    for line in lines {
        match vat.iter_mut().find(|v| v.rate_bp == line.vat_rate_bp) {
            Some(v) => v.base_ht_cents += line.total_ht(),
            None => vat.push(VatLine {
                rate_bp: line.vat_rate_bp,
                base_ht_cents: line.total_ht(),
                vat_cents: 0,
            }),
        }
    }
    vat.sort_by_key(|v| v.rate_bp);
    for v in &mut vat {
        v.vat_cents = apply_rate(v.base_ht_cents, bp_to_ppm(v.rate_bp));
    }
    let total_ht: i64 = vat.iter().map(|v| v.base_ht_cents).sum();
    let total_vat: i64 = vat.iter().map(|v| v.vat_cents).sum();
    let total_ttc = total_ht + total_vat;
    let ttc_of = |l: &PricedLine| l.total_ht() + apply_rate(l.total_ht(), bp_to_ppm(l.vat_rate_bp));

    // Grants, each on its eligible lines and within its ceilings.
    let mut aids = Vec::new();
    let mut not_applicable = Vec::new();
    for p in &rules.programmes {
        let eligible: Vec<&PricedLine> = lines
            .iter()
            .filter(|l| p.sections.contains(&l.section))
            .filter(|l| match &p.strands {
                Some(strands) => l.strand.as_ref().is_some_and(|s| strands.contains(s)),
                None => true,
            })
            .collect();
        let base_cents: i64 = eligible
            .iter()
            .map(|l| match p.base {
                Base::Ht => l.total_ht(),
                Base::Ttc => ttc_of(l),
            })
            .sum();
        let mut line = AidLine {
            programme_id: p.id.clone(),
            name: p.name.clone(),
            status: p.status,
            base: p.base,
            base_cents,
            rate_ppm: p.rate_ppm,
            amount_cents: 0,
            explanation: String::new(),
        };
        let base_label = match p.base {
            Base::Ht => "HT",
            Base::Ttc => "TTC",
        };
        if let Some(max) = p.max_population.filter(|m| ctx.commune_population > *m) {
            line.explanation = format!(
                "Non applicable : réservé aux communes de {} habitants au plus ({} ici).",
                crate::format::integer(u64::from(max)),
                crate::format::integer(u64::from(ctx.commune_population))
            );
            not_applicable.push(line);
            continue;
        }
        if base_cents == 0 {
            line.explanation = "Non applicable : aucune ligne éligible dans ce scénario.".into();
            not_applicable.push(line);
            continue;
        }
        if let Some(min) = p.min_expense_cents.filter(|m| base_cents < *m) {
            line.explanation = format!(
                "Non applicable : dépense éligible de {} inférieure au minimum de {}.",
                euros(base_cents),
                euros(min)
            );
            not_applicable.push(line);
            continue;
        }
        let raw = apply_rate(base_cents, p.rate_ppm);
        let ceilings = [
            p.ceiling_per_class_cents.map(|c| {
                (
                    c.saturating_mul(i64::from(ctx.classes)),
                    format!("{} par classe × {}", euros(c), ctx.classes),
                )
            }),
            p.ceiling_per_school_cents.map(|c| {
                (
                    c.saturating_mul(i64::from(ctx.schools)),
                    format!("{} par école × {}", euros(c), ctx.schools),
                )
            }),
            p.ceiling_per_project_cents
                .map(|c| (c, format!("{} par projet", euros(c)))),
        ];
        let binding = ceilings
            .into_iter()
            .flatten()
            .filter(|(cap, _)| *cap < raw)
            .min_by_key(|(cap, _)| *cap);
        line.amount_cents = binding.as_ref().map_or(raw, |(cap, _)| *cap);
        line.explanation = match binding {
            Some((cap, why)) => format!(
                "{} de {} {base_label} = {}, plafonné à {} ({why}).",
                pct(p.rate_ppm),
                euros(base_cents),
                euros(raw),
                euros(cap)
            ),
            None => format!(
                "{} de {} {base_label} éligibles.",
                pct(p.rate_ppm),
                euros(base_cents)
            ),
        };
        aids.push(line);
    }

    // Public aid may not exceed (100 % − minimum own share) of the project HT: reduce the
    // last programmes first, so the order of the rules is the order of priority.
    let max_share = FULL_PPM.saturating_sub(rules.min_own_share_ppm);
    let max_aid = apply_rate(total_ht, max_share);
    let mut excess = aids.iter().map(|a| a.amount_cents).sum::<i64>() - max_aid;
    let capped = excess > 0;
    for aid in aids.iter_mut().rev() {
        if excess <= 0 {
            break;
        }
        let cut = excess.min(aid.amount_cents);
        aid.amount_cents -= cut;
        excess -= cut;
        aid.explanation.push_str(&format!(
            " Réduit de {} : les aides publiques ne peuvent dépasser {} du projet HT (part minimale de la commune {}).",
            euros(cut),
            pct(max_share),
            pct(rules.min_own_share_ppm)
        ));
    }
    let total_aid: i64 = aids.iter().map(|a| a.amount_cents).sum();

    // FCTVA on investment TTC; running costs per year.
    let fctva_base: i64 = lines
        .iter()
        .filter(|l| l.section == BudgetSection::Investissement)
        .map(ttc_of)
        .sum();
    let fctva = apply_rate(fctva_base, rules.fctva_rate_ppm);
    let yearly: i64 = lines.iter().filter(|l| l.yearly).map(ttc_of).sum();
    let remaining_ttc = total_ttc - total_aid - fctva;
    // The first year of running costs is in the TTC above; the other years come on top.
    let total_over_life = remaining_ttc + yearly * i64::from(ctx.life_years.saturating_sub(1));
    let per_pupil = (ctx.pupils > 0 && ctx.life_years > 0).then(|| {
        let years_pupils = i64::from(ctx.pupils) * i64::from(ctx.life_years);
        (total_over_life + years_pupils / 2).div_euclid(years_pupils)
    });
    FundingPlan {
        rules_version: rules.version.clone(),
        total_ht_cents: total_ht,
        vat,
        total_vat_cents: total_vat,
        total_ttc_cents: total_ttc,
        aids,
        total_aid_cents: total_aid,
        not_applicable,
        not_computed: rules.not_computed.clone(),
        capped,
        fctva_base_ttc_cents: fctva_base,
        fctva_rate_ppm: rules.fctva_rate_ppm,
        fctva_status: rules.fctva_status,
        fctva_cents: fctva,
        remaining_ht_cents: total_ht - total_aid,
        remaining_ttc_cents: remaining_ttc,
        yearly_running_ttc_cents: yearly,
        life_years: ctx.life_years,
        total_cost_over_life_cents: total_over_life,
        cost_per_pupil_per_year_cents: per_pupil,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BudgetSection::{Fonctionnement, Investissement};

    fn line(qty: u32, unit: i64, section: BudgetSection, strand: Option<&str>) -> PricedLine {
        PricedLine {
            quantity: qty,
            unit_price_cents: unit,
            vat_rate_bp: 2000,
            section,
            strand: strand.map(str::to_string),
            yearly: section == Fonctionnement,
        }
    }

    fn programme(id: &str, rate_pct: u32) -> Programme {
        Programme {
            id: id.into(),
            name: id.into(),
            status: RuleStatus::Sourced,
            rate_ppm: rate_pct * 10_000,
            base: Base::Ht,
            sections: vec![Investissement],
            strands: None,
            ceiling_per_class_cents: None,
            ceiling_per_school_cents: None,
            ceiling_per_project_cents: None,
            min_expense_cents: None,
            max_population: None,
            note: None,
            source: None,
        }
    }

    fn rules(programmes: Vec<Programme>) -> FundingRules {
        FundingRules {
            version: "test".into(),
            fctva_rate_ppm: 164_040,
            fctva_status: RuleStatus::ToCheck,
            min_own_share_ppm: 200_000,
            programmes,
            not_computed: Vec::new(),
        }
    }

    const CTX: PlanContext = PlanContext {
        commune_population: 278,
        schools: 1,
        classes: 3,
        pupils: 60,
        life_years: 5,
    };

    #[test]
    fn rates_round_half_up_to_the_cent() {
        let cases = [
            (1_000, 200_000, 200),
            (3, 200_000, 1), // 0,6 cent → 1
            (2, 250_000, 1), // 0,5 cent → 1 (half-up)
            (1, 250_000, 0), // 0,25 cent → 0
            (100_000, 164_040, 16_404),
            (12_345, 164_040, 2_025), // 2025,0938
            (0, 700_000, 0),
            (i64::MAX / 2, 1_000_000, i64::MAX / 2),
        ];
        for (amount, ppm, want) in cases {
            assert_eq!(apply_rate(amount, ppm), want, "{amount} × {ppm}");
        }
    }

    #[test]
    fn vat_is_computed_per_rate_on_the_total_not_per_line() {
        // Three lines of 0,03 € HT: 0,006 € of VAT each would round to 0,03 € line by line;
        // on the total (0,09 €) it is 0,018 → 0,02 €.
        let lines = vec![line(1, 3, Investissement, None); 3];
        let plan = compute(&lines, &rules(vec![]), CTX);
        assert_eq!(
            (
                plan.total_ht_cents,
                plan.total_vat_cents,
                plan.total_ttc_cents
            ),
            (9, 2, 11)
        );
        let mixed = vec![
            line(2, 10_000, Investissement, None),
            PricedLine {
                vat_rate_bp: 550,
                ..line(1, 10_000, Investissement, None)
            },
        ];
        let plan = compute(&mixed, &rules(vec![]), CTX);
        let vat: Vec<(u32, i64, i64)> = plan
            .vat
            .iter()
            .map(|v| (v.rate_bp, v.base_ht_cents, v.vat_cents))
            .collect();
        assert_eq!(vat, [(550, 10_000, 550), (2000, 20_000, 4_000)]);
    }

    #[test]
    fn grants_ceilings_and_the_own_share_cap() {
        struct Case {
            name: &'static str,
            lines: Vec<PricedLine>,
            programmes: Vec<Programme>,
            population: u32,
            want_aids: Vec<i64>,
            want_capped: bool,
        }
        let eni = || line(3, 220_000, Investissement, Some("équipement classe"));
        let ent = || line(60, 300, Fonctionnement, Some("services et ressources"));
        let cases = vec![
            Case {
                name: "one programme at 50 %",
                lines: vec![eni()],
                programmes: vec![programme("DETR", 50)],
                population: 278,
                want_aids: vec![330_000],
                want_capped: false,
            },
            Case {
                name: "ceiling per class binds (3 classes × 1 500 €)",
                lines: vec![eni()],
                programmes: vec![Programme {
                    ceiling_per_class_cents: Some(150_000),
                    ..programme("SNEE", 70)
                }],
                population: 278,
                want_aids: vec![450_000],
                want_capped: false,
            },
            Case {
                name: "ceiling per project binds before the per-school one",
                lines: vec![eni()],
                programmes: vec![Programme {
                    ceiling_per_school_cents: Some(500_000),
                    ceiling_per_project_cents: Some(100_000),
                    ..programme("X", 70)
                }],
                population: 278,
                want_aids: vec![100_000],
                want_capped: false,
            },
            Case {
                name: "two funders on one line: capped at 80 %, the last one reduced",
                lines: vec![eni()],
                programmes: vec![programme("SNEE", 70), programme("DETR", 40)],
                population: 278,
                // 660 000 HT: 80 % = 528 000; SNEE 462 000 kept, DETR 264 000 → 66 000.
                want_aids: vec![462_000, 66_000],
                want_capped: true,
            },
            Case {
                name: "population above the programme's limit",
                lines: vec![eni()],
                programmes: vec![Programme {
                    max_population: Some(2_000),
                    ..programme("DETR", 40)
                }],
                population: 2_500,
                want_aids: vec![],
                want_capped: false,
            },
            Case {
                name: "only running costs are eligible to a services programme",
                lines: vec![eni(), ent()],
                programmes: vec![Programme {
                    sections: vec![Fonctionnement],
                    strands: Some(vec!["services et ressources".into()]),
                    ..programme("SNEE-services", 50)
                }],
                population: 278,
                want_aids: vec![9_000],
                want_capped: false,
            },
            Case {
                name: "below the minimum expense",
                lines: vec![line(1, 100_000, Investissement, None)],
                programmes: vec![Programme {
                    min_expense_cents: Some(350_000),
                    ..programme("SNEE", 70)
                }],
                population: 278,
                want_aids: vec![],
                want_capped: false,
            },
            Case {
                name: "zero-price lines",
                lines: vec![line(5, 0, Investissement, None)],
                programmes: vec![programme("DETR", 40)],
                population: 278,
                want_aids: vec![],
                want_capped: false,
            },
            Case {
                name: "a TTC-based programme",
                lines: vec![eni()],
                programmes: vec![Programme {
                    base: Base::Ttc,
                    ..programme("REGION", 10)
                }],
                population: 278,
                want_aids: vec![79_200],
                want_capped: false,
            },
        ];
        for case in cases {
            let ctx = PlanContext {
                commune_population: case.population,
                ..CTX
            };
            let plan = compute(&case.lines, &rules(case.programmes), ctx);
            let aids: Vec<i64> = plan.aids.iter().map(|a| a.amount_cents).collect();
            assert_eq!(aids, case.want_aids, "{}", case.name);
            assert_eq!(plan.capped, case.want_capped, "{}", case.name);
            assert!(
                plan.total_aid_cents * 10 <= plan.total_ht_cents * 8,
                "{}: 20 % own share",
                case.name
            );
            assert!(
                plan.aids
                    .iter()
                    .chain(&plan.not_applicable)
                    .all(|a| !a.explanation.is_empty()),
                "{}: every programme explained",
                case.name
            );
        }
    }

    #[test]
    fn fctva_remaining_cost_and_cost_over_life() {
        let lines = vec![
            line(3, 220_000, Investissement, None), // 6 600 € HT, 7 920 € TTC
            line(60, 300, Fonctionnement, None),    // ENT 180 € HT / year, 216 € TTC
        ];
        let plan = compute(&lines, &rules(vec![programme("DETR", 40)]), CTX);
        assert_eq!(plan.total_ht_cents, 678_000);
        assert_eq!(plan.total_ttc_cents, 813_600);
        assert_eq!(plan.total_aid_cents, 264_000);
        assert_eq!(plan.fctva_base_ttc_cents, 792_000);
        assert_eq!(plan.fctva_cents, 129_920); // 16,404 % of 7 920 € = 1 299,1968 €
        assert_eq!(plan.remaining_ht_cents, 414_000);
        assert_eq!(plan.remaining_ttc_cents, 813_600 - 264_000 - 129_920);
        assert_eq!(plan.yearly_running_ttc_cents, 21_600);
        assert_eq!(plan.total_cost_over_life_cents, 419_680 + 4 * 21_600);
        // (419 680 + 86 400) / (60 pupils × 5 years) = 1 686,93… cents
        assert_eq!(plan.cost_per_pupil_per_year_cents, Some(1_687));
        let no_pupils = compute(&lines, &rules(vec![]), PlanContext { pupils: 0, ..CTX });
        assert_eq!(no_pupils.cost_per_pupil_per_year_cents, None);
    }

    #[test]
    fn every_programme_of_the_reference_file_is_in_every_plan() {
        let research: serde_json::Value = serde_json::from_str(include_str!(
            "../../../data/reference/financements_reference.json"
        ))
        .expect("research file");
        let rules: FundingRules =
            serde_json::from_str(include_str!("../../../data/reference/funding_rules.json"))
                .expect("rules");
        assert_eq!(rules.validate(), Ok(()));
        let ids: Vec<&str> = research["dispositifs"]
            .as_array()
            .expect("dispositifs")
            .iter()
            .map(|d| d["id"].as_str().expect("id"))
            .collect();
        assert!(ids.contains(&"FEDER_HDF_2021_2027") && ids.contains(&"DSIL"));
        let sources: Vec<Option<&str>> = rules
            .programmes
            .iter()
            .map(|p| p.source.as_deref())
            .chain(rules.not_computed.iter().map(|p| p.source.as_deref()))
            .collect();
        assert!(
            sources.iter().all(|s| s.is_some_and(|s| ids.contains(&s))),
            "every rule names its programme in the research file: {sources:?}"
        );
        let source_of = |id: &str| -> Option<&str> {
            rules
                .programmes
                .iter()
                .find(|p| p.id == id)
                .and_then(|p| p.source.as_deref())
        };
        let eni = line(3, 220_000, Investissement, Some("équipement classe"));
        let ent = line(60, 300, Fonctionnement, Some("services et ressources"));
        let scenarios = [vec![], vec![eni.clone()], vec![eni, ent.clone()], vec![ent]];
        for lines in &scenarios {
            for population in [278, 2_500] {
                let plan = compute(
                    lines,
                    &rules,
                    PlanContext {
                        commune_population: population,
                        ..CTX
                    },
                );
                let mut listed: Vec<&str> = plan
                    .aids
                    .iter()
                    .chain(&plan.not_applicable)
                    .filter_map(|a| source_of(&a.programme_id))
                    .collect();
                listed.extend(plan.not_computed.iter().filter_map(|p| p.source.as_deref()));
                for id in &ids {
                    assert!(
                        listed.contains(id),
                        "{id} missing from a plan of {} lines, population {population}",
                        lines.len()
                    );
                }
                for p in &plan.not_computed {
                    assert!(!p.reason.trim().is_empty(), "{}", p.id);
                    if ["DSIL", "FEDER_HDF_2021_2027"].contains(&p.id.as_str()) {
                        assert!(
                            p.reason.contains("Sur dossier, montant non calculable"),
                            "{}",
                            p.reason
                        );
                    }
                }
            }
        }
        // A programme left without a reason is refused.
        let mut bad = rules.clone();
        bad.not_computed[0].reason = " ".into();
        assert!(bad
            .validate()
            .expect_err("no reason")
            .contains("sans raison"));
        let mut twice = rules;
        twice.not_computed[0].id = "DETR".into();
        assert!(twice.validate().expect_err("twice").contains("en double"));
    }

    #[test]
    fn a_200_line_visit_adds_up_exactly() {
        let lines: Vec<PricedLine> = (0..200)
            .map(|i| line(1 + i % 7, 1_999 + i64::from(i) * 37, Investissement, None))
            .collect();
        let plan = compute(&lines, &rules(vec![programme("DETR", 35)]), CTX);
        let ht: i64 = lines.iter().map(PricedLine::total_ht).sum();
        assert_eq!(plan.total_ht_cents, ht);
        assert_eq!(plan.total_vat_cents, apply_rate(ht, 200_000));
        assert_eq!(plan.total_ttc_cents, ht + plan.total_vat_cents);
        assert_eq!(plan.total_aid_cents, apply_rate(ht, 350_000));
    }
}
