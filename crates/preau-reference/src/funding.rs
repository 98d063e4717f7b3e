//! The funding rules (`data/reference/funding_rules.json`, or the syndicate's published by
//! its server): the programmes a plan computes (rates in parts per million, amounts in
//! cents), and those it lists without an amount. Parsed and checked here; `preau-core`'s
//! `plan.rs` computes plans from them.

use serde::{Deserialize, Serialize};

use crate::catalogue::BudgetSection;
use crate::error::{Error, Result};

/// Rates are in parts per million: 1 000 000 = 100 %, so that the FCTVA's 16,404 % is
/// exact (164 040). VAT rates from the catalogue are in basis points (2 000 = 20 %).
pub const FULL_PPM: u32 = 1_000_000;

fn pct(ppm: u32) -> String {
    crate::format::percent(ppm)
}

/// Whether the funding rule was read in a cited source or still has to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RuleStatus {
    Sourced,
    ToCheck,
    Estimated,
}

impl RuleStatus {
    pub fn label(self) -> &'static str {
        match self {
            RuleStatus::Sourced => "sourcé",
            RuleStatus::ToCheck => "à vérifier",
            RuleStatus::Estimated => "estimé",
        }
    }
}

/// On which amount a rate applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Base {
    Ht,
    Ttc,
}

/// A funding programme as data, maintained centrally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Programme {
    pub id: String,
    pub name: String,
    pub status: RuleStatus,
    pub rate_ppm: u32,
    pub base: Base,
    /// Budget sections it funds (investment and/or running costs).
    pub sections: Vec<BudgetSection>,
    /// If set, only lines of these socle strands ("équipement classe"…) are eligible.
    pub strands: Option<Vec<String>>,
    pub ceiling_per_class_cents: Option<i64>,
    pub ceiling_per_school_cents: Option<i64>,
    pub ceiling_per_project_cents: Option<i64>,
    /// Below this eligible expense the programme does not apply.
    pub min_expense_cents: Option<i64>,
    pub max_population: Option<u32>,
    pub note: Option<String>,
    /// The programme's id in `data/reference/financements_reference.json` (the research
    /// file the rules are normalised from).
    #[serde(default)]
    pub source: Option<String>,
}

/// A programme the rules know of but cannot compute an amount for (granted case by case,
/// no published rate, reserved to other départements…). Every plan lists it with its
/// reason, so that no programme is silently absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UncomputedProgramme {
    pub id: String,
    pub name: String,
    pub status: RuleStatus,
    /// Why no amount is computed, in French: "sur dossier, montant non calculable".
    pub reason: String,
    /// Its id in `financements_reference.json`.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FundingRules {
    pub version: String,
    /// FCTVA rate on eligible investment TTC (164 040 ppm = 16,404 %).
    pub fctva_rate_ppm: u32,
    pub fctva_status: RuleStatus,
    /// The commune's minimum own share of the project (200 000 ppm = 20 %, CGCT L1111-10).
    pub min_own_share_ppm: u32,
    pub programmes: Vec<Programme>,
    /// Programmes shown in every plan with the reason they are not computed.
    #[serde(default)]
    pub not_computed: Vec<UncomputedProgramme>,
}

impl FundingRules {
    /// Checks rules before they are used: a rate over 100 %, a negative ceiling or an
    /// unnamed programme is refused with a French message naming the programme.
    pub fn validate(&self) -> Result<(), String> {
        let rate = |what: &str, ppm: u32| {
            if ppm > FULL_PPM {
                Err(format!("{what} : taux de {} supérieur à 100 %.", pct(ppm)))
            } else {
                Ok(())
            }
        };
        rate("FCTVA", self.fctva_rate_ppm)?;
        rate("Part minimale de la commune", self.min_own_share_ppm)?;
        // Every programme, computed or not, has an id of its own and a name.
        fn identity<'a>(
            seen: &mut Vec<&'a str>,
            id: &'a str,
            name: &'a str,
        ) -> Result<&'a str, String> {
            let shown = if name.trim().is_empty() { id } else { name };
            if id.trim().is_empty() || name.trim().is_empty() {
                return Err(format!(
                    "Programme « {shown} » : identifiant et nom obligatoires."
                ));
            }
            if seen.contains(&id) {
                return Err(format!("Programme « {shown} » : identifiant en double."));
            }
            seen.push(id);
            Ok(shown)
        }
        let mut seen = Vec::new();
        for p in &self.programmes {
            let name = identity(&mut seen, &p.id, &p.name)?;
            rate(name, p.rate_ppm)?;
            let ceilings = [
                p.ceiling_per_class_cents,
                p.ceiling_per_school_cents,
                p.ceiling_per_project_cents,
                p.min_expense_cents,
            ];
            if ceilings.iter().flatten().any(|c| *c < 0) {
                return Err(format!(
                    "Programme « {name} » : plafond ou minimum négatif."
                ));
            }
            if p.sections.is_empty() {
                return Err(format!(
                    "Programme « {name} » : aucune section budgétaire éligible."
                ));
            }
        }
        for p in &self.not_computed {
            let name = identity(&mut seen, &p.id, &p.name)?;
            if p.reason.trim().is_empty() {
                return Err(format!(
                    "Programme « {name} » : non chiffré sans raison donnée."
                ));
            }
        }
        Ok(())
    }
}

/// Funding rules from JSON, refused unless they pass [`FundingRules::validate`].
pub fn parse(json: &str) -> Result<FundingRules> {
    let rules: FundingRules =
        serde_json::from_str(json).map_err(|e| Error::Funding(e.to_string()))?;
    rules.validate().map_err(Error::Funding)?;
    Ok(rules)
}

impl FundingRules {
    /// Every programme the rules name, computed or not.
    pub fn programme_count(&self) -> usize {
        self.programmes.len() + self.not_computed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BudgetSection::Investissement;

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

    #[test]
    fn rules_with_impossible_values_are_refused() {
        let ok = rules(vec![programme("DETR", 40)]);
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(FundingRules, &str)> = vec![
            (
                rules(vec![Programme {
                    rate_ppm: 1_200_000,
                    ..programme("DETR", 40)
                }]),
                "supérieur à 100",
            ),
            (
                FundingRules {
                    fctva_rate_ppm: 2_000_000,
                    ..ok.clone()
                },
                "FCTVA",
            ),
            (
                rules(vec![Programme {
                    ceiling_per_class_cents: Some(-1),
                    ..programme("X", 10)
                }]),
                "négatif",
            ),
            (
                rules(vec![programme("X", 10), programme("X", 20)]),
                "en double",
            ),
            (
                rules(vec![Programme {
                    sections: vec![],
                    ..programme("X", 10)
                }]),
                "section",
            ),
            (
                rules(vec![Programme {
                    id: " ".into(),
                    ..programme("X", 10)
                }]),
                "obligatoires",
            ),
        ];
        for (r, want) in cases {
            let err = r.validate().expect_err("refused");
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn the_shipped_rules_parse_and_bad_json_is_refused() {
        let rules = parse(include_str!("../../../data/reference/funding_rules.json"))
            .expect("shipped rules");
        assert!(rules.programme_count() > rules.programmes.len());
        let err = parse("{").expect_err("not JSON");
        assert!(matches!(err, Error::Funding(_)), "{err:?}");
        let mut bad = rules.clone();
        bad.fctva_rate_ppm = 2_000_000;
        let json = serde_json::to_string(&bad).expect("serialises");
        match parse(&json) {
            Err(Error::Funding(m)) => assert!(m.starts_with("FCTVA : taux de"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
