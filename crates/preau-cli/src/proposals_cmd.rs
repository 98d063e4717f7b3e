//! `preau-cli proposals …` and `preau-cli settings …`: printed proposals and the letterhead.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use preau_core::proposals::{Acceptance, Civility, DocumentSettings, DraftPatch};

use crate::{open, user};

#[derive(Subcommand)]
pub enum ProposalsCommand {
    /// Proposals of a visit, newest revision first
    List { visit: String },
    /// The visit's draft (made if there is none; after an issue, the next revision)
    Draft {
        visit: String,
        /// Scenario to propose (repeat for several; default: every scenario with lines)
        #[arg(long = "scenario")]
        scenarios: Vec<String>,
        #[arg(long, value_enum)]
        civility: Option<CivilityArg>,
        /// Days the proposal stays valid
        #[arg(long)]
        validity_days: Option<u32>,
    },
    /// Writes the PDF: the frozen one if issued, else the draft with a "PROJET" watermark
    Render {
        id: String,
        #[arg(long)]
        out: PathBuf,
        /// Date printed on a draft (default: today)
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// The pedagogical project sheet of each school (one page each), for the IEN
    Sheet {
        id: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Issues a draft: numbers it and freezes its content and PDF
    Issue {
        id: String,
        /// Issue date (default: today)
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Records the mayor's answer to an issued proposal
    Decide {
        id: String,
        #[arg(value_enum)]
        answer: Answer,
        /// Answer date (default: today)
        #[arg(long)]
        date: Option<NaiveDate>,
        /// The scenario accepted, by label (« B ») or id; required when the proposal
        /// shows several
        #[arg(long)]
        scenario: Option<String>,
        /// The date of the council's deliberation (YYYY-MM-DD)
        #[arg(long)]
        deliberation: Option<NaiveDate>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CivilityArg {
    Madame,
    Monsieur,
    Inconnue,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Answer {
    Acceptee,
    Refusee,
}

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Prints the letterhead and signatory settings as JSON
    Show,
    /// Replaces them from a JSON file (same shape as `show` prints)
    Set { file: PathBuf },
    /// Sets the letterhead logo from a PNG file
    Logo {
        file: Option<PathBuf>,
        /// Removes the logo
        #[arg(long, conflicts_with = "file")]
        remove: bool,
    },
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // Written beside the target then renamed: a reader never sees half a PDF.
    let tmp = path.with_extension("pdf.part");
    std::fs::write(&tmp, bytes)
        .with_context(|| format!("impossible d'écrire {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("impossible d'écrire {}", path.display()))?;
    Ok(())
}

fn render(snapshot: &preau_core::proposals::ProposalSnapshot) -> Result<Vec<u8>, String> {
    preau_pdf::render_proposal(snapshot).map_err(|e| e.to_string())
}

pub fn proposals(dir: &Path, command: ProposalsCommand) -> anyhow::Result<()> {
    match command {
        ProposalsCommand::List { visit } => {
            let store = open(dir)?;
            for p in store.proposals_of(&visit, today()).map_err(user)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.reference(),
                    p.status_label,
                    p.issued_on.map(|d| d.to_string()).unwrap_or_default(),
                    p.valid_until.map(|d| d.to_string()).unwrap_or_default(),
                    p.pdf_sha256.unwrap_or_default()
                );
            }
        }
        ProposalsCommand::Draft {
            visit,
            scenarios,
            civility,
            validity_days,
        } => {
            let mut store = open(dir)?;
            let draft = store.proposal_draft(&visit, today()).map_err(user)?;
            let patch = DraftPatch {
                scenario_ids: (!scenarios.is_empty()).then_some(scenarios),
                civility: civility.map(|c| match c {
                    CivilityArg::Madame => Civility::Madame,
                    CivilityArg::Monsieur => Civility::Monsieur,
                    CivilityArg::Inconnue => Civility::Inconnue,
                }),
                validity_days,
            };
            let draft = store
                .proposal_update_draft(&draft.id, &patch, today())
                .map_err(user)?;
            println!("{}", draft.id);
        }
        ProposalsCommand::Render { id, out, date } => {
            let store = open(dir)?;
            let p = store.proposal(&id, today()).map_err(user)?;
            let bytes = if p.pdf_sha256.is_some() {
                store.proposal_pdf(&id).map_err(user)?
            } else {
                let snapshot = store
                    .proposal_snapshot(&id, date.unwrap_or_else(today))
                    .map_err(user)?;
                preau_pdf::render_proposal(&snapshot)
                    .map_err(|e| anyhow!("le PDF n'a pas pu être produit : {e}"))?
            };
            write(&out, &bytes)?;
        }
        ProposalsCommand::Sheet { id, out, date } => {
            let store = open(dir)?;
            let snapshot = store
                .proposal_snapshot(&id, date.unwrap_or_else(today))
                .map_err(user)?;
            let bytes = preau_pdf::render_project_sheets(&snapshot)
                .map_err(|e| anyhow!("le PDF n'a pas pu être produit : {e}"))?;
            write(&out, &bytes)?;
        }
        ProposalsCommand::Issue { id, date } => {
            let mut store = open(dir)?;
            let p = store
                .proposal_issue(&id, date.unwrap_or_else(today), render)
                .map_err(user)?;
            println!("{}\t{}", p.reference(), p.pdf_sha256.unwrap_or_default());
        }
        ProposalsCommand::Decide {
            id,
            answer,
            date,
            scenario,
            deliberation,
        } => {
            let mut store = open(dir)?;
            let day = date.unwrap_or_else(today);
            let p = match answer {
                Answer::Acceptee => {
                    let shown = store.proposal(&id, day).map_err(user)?;
                    // A label (« B ») names the scenario the document showed under it.
                    let scenario_id = scenario.map(|s| {
                        shown
                            .offered
                            .iter()
                            .find(|o| o.label == s)
                            .map_or(s, |o| o.id.clone())
                    });
                    let acceptance = Acceptance {
                        scenario_id,
                        deliberated_on: deliberation,
                    };
                    store.proposal_accept(&id, &acceptance, day).map_err(user)?
                }
                Answer::Refusee if scenario.is_some() || deliberation.is_some() => {
                    bail!("--scenario et --deliberation ne vont qu'avec « acceptee ».")
                }
                Answer::Refusee => store.proposal_refuse(&id, day).map_err(user)?,
            };
            println!("{}\t{}", p.reference(), p.answer_text());
        }
    }
    Ok(())
}

pub fn settings(dir: &Path, command: SettingsCommand) -> anyhow::Result<()> {
    match command {
        SettingsCommand::Show => {
            let store = open(dir)?;
            let s = store.document_settings().map_err(user)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        SettingsCommand::Set { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("impossible de lire {}", file.display()))?;
            let s: DocumentSettings = serde_json::from_str(&text)
                .map_err(|e| anyhow!("{} n'est pas un réglage valide : {e}", file.display()))?;
            let mut store = open(dir)?;
            store.document_settings_save(&s).map_err(user)?;
        }
        SettingsCommand::Logo { file, remove } => {
            let mut store = open(dir)?;
            match (file, remove) {
                (Some(file), false) => {
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("impossible de lire {}", file.display()))?;
                    store.logo_set(Some(&bytes)).map_err(user)?;
                }
                (None, true) => store.logo_set(None).map_err(user)?,
                _ => return Err(anyhow!("indiquez un fichier PNG ou --remove")),
            }
        }
    }
    Ok(())
}
