//! Renders proposal snapshots to PDF bytes: A4 portrait, DejaVu Sans embedded and subset,
//! French formats. Plain data in, bytes out: no store, no clock, no browser. The same
//! snapshot always gives the same bytes (fixed resource names, a document id derived from
//! the content, the snapshot's date as creation date).

mod canvas;
mod chart;
mod document;
mod fonts;
mod proposal;
mod sheet;

use preau_core::proposals::ProposalSnapshot;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("font: {0}")]
    Font(String),
    #[error("logo: {0}")]
    Logo(String),
    #[error("pdf serialisation: {0}")]
    Serialise(String),
}

/// The proposal for the mayor: letter, project, equipment, funding, next steps,
/// signatures. Drafts carry a "PROJET" watermark on every page.
pub fn render_proposal(snapshot: &ProposalSnapshot) -> Result<Vec<u8>, Error> {
    let fonts = fonts::fonts()?;
    let pages = proposal::layout(fonts, snapshot);
    document::save(
        pages,
        snapshot,
        &format!("Proposition {}", snapshot.reference()),
    )
}

/// The one-page pedagogical project sheet of each school, for the IEN: one page per
/// school, in the visit's order.
pub fn render_project_sheets(snapshot: &ProposalSnapshot) -> Result<Vec<u8>, Error> {
    let fonts = fonts::fonts()?;
    let pages = sheet::layout(fonts, snapshot);
    document::save(
        pages,
        snapshot,
        &format!("Projet pédagogique — {}", snapshot.commune.name),
    )
}
