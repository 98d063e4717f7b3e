//! The département's map on this laptop (issue 14, « Maps, offline »): every commune's
//! shape from the shipped contours (`preau_reference::geo`, drawn once per process) with
//! where the service stands there according to this laptop's store — the same five
//! stages, most advanced wins, as the back-office's Carte (`preau_reference::stage`).

use std::collections::HashMap;
use std::sync::OnceLock;

use preau_reference::geo::Map;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use preau_reference::stage::Stage;

use crate::error::{Error, Result};
use crate::proposals::ProposalStatus;
use crate::store::Store;

/// A commune on the map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MapCommune {
    pub insee: String,
    pub name: String,
    /// SVG path data in the map's view box (integer, relative).
    pub d: String,
    /// The middle of its bounding box, `[x, y]`: where the arrow keys go from one commune
    /// to the next.
    pub centre: Vec<i32>,
    /// Its EPCI's name, when the store knows it.
    pub epci: Option<String>,
    pub stage: Stage,
}

/// The whole département: what the Communes screen draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CommuneMap {
    /// The view box is `0 0 width height`.
    pub width: u32,
    pub height: u32,
    pub communes: Vec<MapCommune>,
    /// One path: the borders between EPCIs and the département's outline.
    pub epci_borders: String,
}

/// A commune and the communes it shares a border with: what its sheet draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Neighbourhood {
    /// `[x, y, width, height]` in the map's units, fitted on the commune and its
    /// neighbours with a margin.
    pub view_box: Vec<i32>,
    pub commune: MapCommune,
    /// By name.
    pub neighbours: Vec<MapCommune>,
}

/// What a visit brings its commune to: visited, or further when one of its proposals was
/// issued (pending, refused or expired) or accepted. A draft counts for nothing.
fn visit_stage(proposals: impl IntoIterator<Item = ProposalStatus>) -> Stage {
    proposals
        .into_iter()
        .map(|p| match p {
            ProposalStatus::Brouillon => Stage::Visited,
            ProposalStatus::Emise | ProposalStatus::Refusee | ProposalStatus::Expiree => {
                Stage::Issued
            }
            ProposalStatus::Acceptee => Stage::Accepted,
        })
        .fold(Stage::Visited, Stage::max)
}

/// A commune's stage: the most advanced of what its membership and each of its visits
/// say.
pub fn commune_stage<V, P>(member: bool, visits: V) -> Stage
where
    V: IntoIterator<Item = P>,
    P: IntoIterator<Item = ProposalStatus>,
{
    visits
        .into_iter()
        .map(visit_stage)
        .fold(Stage::unvisited(member), Stage::max)
}

/// The geometry: the same for every store, computed once per process.
struct Drawn {
    map: Map,
    epci_borders: String,
    neighbours: Vec<Vec<usize>>,
}

fn drawn() -> Result<&'static Drawn> {
    static DRAWN: OnceLock<std::result::Result<Drawn, String>> = OnceLock::new();
    DRAWN
        .get_or_init(|| {
            let map = Map::somme().map_err(|e| e.to_string())?;
            let epci: HashMap<String, Option<String>> = preau_reference::communes::all()
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|c| (c.insee, c.epci))
                .collect();
            let epci_borders = map.borders(|insee| epci.get(insee).cloned().flatten());
            let neighbours = map.neighbours();
            Ok(Drawn {
                map,
                epci_borders,
                neighbours,
            })
        })
        .as_ref()
        .map_err(|e| Error::Reference(format!("contours: {e}")))
}

/// A drawn commune with what the store says of it (a commune the store does not know is
/// outside the syndicate, its EPCI unknown).
fn on_map(
    shape: &preau_reference::geo::Shape,
    facts: Option<(Option<String>, Stage)>,
) -> MapCommune {
    let (epci, stage) = facts.unwrap_or((None, Stage::NotMember));
    let [x0, y0, x1, y1] = shape.bounds;
    MapCommune {
        insee: shape.insee.clone(),
        name: shape.name.clone(),
        d: shape.d.clone(),
        centre: vec![(x0 + x1) / 2, (y0 + y1) / 2],
        epci,
        stage,
    }
}

/// What the store says of a commune: its EPCI's name and its stage.
type Facts = HashMap<String, (Option<String>, Stage)>;

impl Store {
    /// Each commune's EPCI name and stage, from its EPCI's membership, its visits and
    /// their proposals (one query).
    fn commune_facts(&self) -> Result<Facts> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.insee, e.name, COALESCE(e.member, 0), v.id, p.status
               FROM communes c
               LEFT JOIN epci e ON e.siren = c.epci_siren
               LEFT JOIN visits v ON v.commune_insee = c.insee
               LEFT JOIN proposals p ON p.visit_id = v.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut facts: Facts = HashMap::new();
        while let Some(r) = rows.next()? {
            let insee: String = r.get(0)?;
            let epci: Option<String> = r.get(1)?;
            let member: bool = r.get(2)?;
            let visit: Option<String> = r.get(3)?;
            let proposal: Option<String> = r.get(4)?;
            // One row per proposal (or per visit without one): each row's stage alone,
            // then the most advanced.
            let visits: Vec<Vec<ProposalStatus>> = match visit {
                None => vec![],
                Some(_) => vec![proposal
                    .as_deref()
                    .and_then(ProposalStatus::from_key)
                    .into_iter()
                    .collect()],
            };
            let stage = commune_stage(member, visits);
            let entry = facts.entry(insee).or_insert((epci, stage));
            entry.1 = entry.1.max(stage);
        }
        Ok(facts)
    }

    /// The département's map with each commune's stage on this laptop.
    pub fn commune_map(&self) -> Result<CommuneMap> {
        let drawn = drawn()?;
        let mut facts = self.commune_facts()?;
        let communes = drawn
            .map
            .communes
            .iter()
            .map(|shape| on_map(shape, facts.remove(&shape.insee)))
            .collect();
        Ok(CommuneMap {
            width: drawn.map.width,
            height: drawn.map.height,
            communes,
            epci_borders: drawn.epci_borders.clone(),
        })
    }

    /// A commune and its neighbours, with their stages, and a view box fitted on them.
    pub fn commune_neighbourhood(&self, insee: &str) -> Result<Neighbourhood> {
        let drawn = drawn()?;
        let communes = &drawn.map.communes;
        let at = communes
            .iter()
            .position(|s| s.insee == insee.trim())
            .ok_or_else(|| Error::NotFound {
                what: "commune",
                id: insee.to_string(),
            })?;
        let facts = self.commune_facts()?;
        let around: Vec<usize> = drawn.neighbours.get(at).cloned().unwrap_or_default();
        let mut bounds = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
        for shape in std::iter::once(at)
            .chain(around.iter().copied())
            .filter_map(|i| communes.get(i))
        {
            let [x0, y0, x1, y1] = shape.bounds;
            bounds = [
                bounds[0].min(x0),
                bounds[1].min(y0),
                bounds[2].max(x1),
                bounds[3].max(y1),
            ];
        }
        let on_map = |i: usize| {
            communes
                .get(i)
                .map(|shape| on_map(shape, facts.get(&shape.insee).cloned()))
        };
        let commune = on_map(at).ok_or_else(|| Error::NotFound {
            what: "commune",
            id: insee.to_string(),
        })?;
        let mut neighbours: Vec<MapCommune> = around.into_iter().filter_map(on_map).collect();
        neighbours.sort_by_cached_key(|c| preau_reference::text::fold_plain(&c.name));
        // A margin of a twentieth of the larger side, at least 4 units (the strokes).
        let margin = ((bounds[2] - bounds[0]).max(bounds[3] - bounds[1]) / 20).max(4);
        Ok(Neighbourhood {
            view_box: vec![
                bounds[0] - margin,
                bounds[1] - margin,
                bounds[2] - bounds[0] + 2 * margin,
                bounds[3] - bounds[1] + 2 * margin,
            ],
            commune,
            neighbours,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = ProposalStatus> {
        prop_oneof![
            Just(ProposalStatus::Brouillon),
            Just(ProposalStatus::Emise),
            Just(ProposalStatus::Acceptee),
            Just(ProposalStatus::Refusee),
            Just(ProposalStatus::Expiree),
        ]
    }

    #[test]
    fn each_stage_from_what_happened() {
        use ProposalStatus::*;
        let none: Vec<Vec<ProposalStatus>> = vec![];
        assert_eq!(commune_stage(false, none.clone()), Stage::NotMember);
        assert_eq!(commune_stage(true, none), Stage::Member);
        // A visit in a commune outside the syndicate still counts.
        assert_eq!(commune_stage(false, vec![vec![]]), Stage::Visited);
        assert_eq!(commune_stage(true, vec![vec![Brouillon]]), Stage::Visited);
        for issued in [Emise, Refusee, Expiree] {
            assert_eq!(
                commune_stage(true, vec![vec![Brouillon, issued]]),
                Stage::Issued
            );
        }
        assert_eq!(
            commune_stage(true, vec![vec![Refusee], vec![Acceptee], vec![]]),
            Stage::Accepted
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        /// The most advanced wins: never below membership or any visit's own stage, equal
        /// to one of them, and the order of visits and proposals does not matter.
        #[test]
        fn the_most_advanced_stage_wins_whatever_the_order(
            member in any::<bool>(),
            visits in prop::collection::vec(prop::collection::vec(status(), 0..4), 0..5),
        ) {
            let stage = commune_stage(member, visits.clone());
            let parts: Vec<Stage> = std::iter::once(Stage::unvisited(member))
                .chain(visits.iter().map(|v| commune_stage(false, vec![v.clone()])))
                .collect();
            prop_assert!(parts.iter().all(|p| *p <= stage));
            prop_assert!(parts.contains(&stage));
            let mut reversed: Vec<Vec<ProposalStatus>> = visits.clone();
            reversed.reverse();
            for v in &mut reversed {
                v.reverse();
            }
            prop_assert_eq!(commune_stage(member, reversed), stage);
            // One row per proposal, as the store reads them, gives the same.
            let rows: Vec<Vec<ProposalStatus>> = visits
                .iter()
                .flat_map(|v| if v.is_empty() { vec![vec![]] } else { v.iter().map(|p| vec![*p]).collect() })
                .collect();
            prop_assert_eq!(commune_stage(member, rows), stage);
        }
    }
}
