//! Real PDFs from real stores, checked with poppler (`pdftotext`, `pdffonts`, `pdfinfo`)
//! and `qpdf --check`, as a mayor's or an IEN's PDF reader would read them.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use preau_core::proposals::ProposalSnapshot;

mod common;
use common::{big_visit, example, store, today};

fn tool(dir: &Path, pdf: &[u8], program: &str, args: &[&str]) -> String {
    let path = dir.join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new(program)
        .args(args)
        .arg(&path)
        .args(if program == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} could not run ({e}): apt install poppler-utils qpdf")
        });
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Text of each page, in reading order.
fn pages(dir: &Path, pdf: &[u8]) -> Vec<String> {
    tool(dir, pdf, "pdftotext", &["-layout"])
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// pdftotext turns no-break spaces into plain ones, and the PDF prints ’ for ': compare
/// on plain text.
fn plain(s: &str) -> String {
    s.replace(['\u{a0}', '\u{202f}'], " ")
        .replace('\u{2019}', "'")
}

#[test]
fn the_issued_proposal_says_what_was_agreed_in_french() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let issued = store
        .proposal_issue(&draft, today(), |s| {
            preau_pdf::render_proposal(s).map_err(|e| e.to_string())
        })
        .expect("issue");
    let pdf = store.proposal_pdf(&issued.id).expect("pdf");
    let snap = store.proposal_snapshot(&issued.id, today()).expect("snap");
    let text = plain(&pages(dir.path(), &pdf).join("\n"));
    let plan_a = &snap.scenarios[0].plan;
    let n = pages(dir.path(), &pdf).len();
    let expected = [
        "Somme numérique".to_string(),
        "Madame la Maire".to_string(),
        "Mairie de Péronne".to_string(),
        "Marie Dupont".to_string(),
        "29 novembre 2026".to_string(),
        issued.reference(),
        "Valable jusqu'au : 27 février 2027".to_string(),
        "École élémentaire Louis Pasteur".to_string(),
        "Renforcer la lecture et l'écriture".to_string(),
        "Validation IEN".to_string(),
        "Désignation".to_string(),
        "ENI65".to_string(),
        plain(&preau_core::format::euros(plan_a.total_ht_cents)),
        plain(&preau_core::format::euros(plan_a.total_ttc_cents)),
        plain(&preau_core::format::euros(plan_a.remaining_ttc_cents)),
        "TVA 20 %".to_string(),
        "FCTVA".to_string(),
        "16,404 %".to_string(),
        "Socle numérique dans les écoles".to_string(),
        "à vérifier".to_string(),
        "Reste à charge de la commune TTC".to_string(),
        "Fonctionnement annuel TTC".to_string(),
        "Coût total sur 5 ans".to_string(),
        "Comparaison des scénarios".to_string(),
        "Marché du groupement d'achat".to_string(),
        "Délibération du conseil municipal".to_string(),
        "Formation des enseignants".to_string(),
        "« Bon pour accord »".to_string(),
        "Signature et cachet de la mairie".to_string(),
        format!("Page 1 / {n}"),
        format!("Page {n} / {n}"),
        format!("Empreinte {}", snap.short_hash()),
    ];
    for want in expected {
        assert!(text.contains(&want), "missing {want:?}");
    }
    assert!(
        !text.contains("PROJET"),
        "an issued proposal has no watermark"
    );

    let fonts = tool(dir.path(), &pdf, "pdffonts", &[]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name, type…, emb, sub, uni: the three flags are the 3rd to 5th from the end.
        let flags = &cols[cols.len() - 5..cols.len() - 2];
        assert_eq!(flags[0], "yes", "font not embedded: {row}");
        assert_eq!(flags[1], "yes", "font not subset: {row}");
        assert_eq!(
            flags[2], "yes",
            "no unicode map (copy/paste, search): {row}"
        );
    }
    let info = tool(dir.path(), &pdf, "pdfinfo", &[]);
    assert!(info.contains("(A4)"), "{info}");
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(dir.path().join("doc.pdf"))
        .output()
        .expect("qpdf");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
}

#[test]
fn a_draft_is_marked_projet_on_every_page() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let snap = store.proposal_snapshot(&draft, today()).expect("snap");
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    let pages = pages(dir.path(), &pdf);
    assert!(pages.len() > 1);
    for (i, p) in pages.iter().enumerate() {
        assert!(p.contains("PROJET"), "page {} has no watermark", i + 1);
    }
}

#[test]
fn the_same_snapshot_renders_to_the_same_bytes() {
    let (_dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let issued = store
        .proposal_issue(&draft, today(), |s| {
            preau_pdf::render_proposal(s).map_err(|e| e.to_string())
        })
        .expect("issue");
    let stored = store.proposal_pdf(&issued.id).expect("pdf");
    // Months later, from the frozen snapshot (read back from its JSON).
    let snap = store
        .proposal_snapshot(&issued.id, NaiveDate::from_ymd_opt(2027, 6, 1).expect("d"))
        .expect("snap");
    let json = serde_json::to_string(&snap).expect("json");
    let back: ProposalSnapshot = serde_json::from_str(&json).expect("parse");
    for _ in 0..3 {
        assert!(preau_pdf::render_proposal(&back).expect("render") == stored);
    }
    // Any change of content changes the bytes and the printed fingerprint.
    let mut other = back.clone();
    other.place = "Péronne".into();
    assert_ne!(preau_pdf::render_proposal(&other).expect("render"), stored);
    assert_ne!(other.short_hash(), back.short_hash());
}

#[test]
fn a_200_line_proposal_paginates_with_the_table_header_on_every_page() {
    let (dir, mut store) = store();
    let visit = big_visit(&mut store, 200, 2);
    let draft = store.proposal_draft(&visit, today()).expect("draft");
    let snap = store.proposal_snapshot(&draft.id, today()).expect("snap");
    let lines: usize = snap.scenarios[0]
        .schools
        .iter()
        .map(|s| s.lines.len())
        .sum();
    assert_eq!(lines, 200);
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    let pages = pages(dir.path(), &pdf);
    let n = pages.len();
    assert!(n >= 6, "{n} pages");
    // Every page between the first and the last line of the table repeats its header.
    let first = pages
        .iter()
        .position(|p| p.contains("Désignation"))
        .expect("table");
    let last = pages
        .iter()
        .rposition(|p| p.contains("Sous-total"))
        .expect("subtotal");
    assert!(last > first + 3, "the table spans pages {first}..{last}");
    for (i, p) in pages.iter().enumerate().take(last + 1).skip(first) {
        assert!(p.contains("Désignation"), "page {} lost the header", i + 1);
        assert!(
            p.contains(&format!("Page {} / {n}", i + 1)),
            "footer of page {}",
            i + 1
        );
    }
    // Every line is printed once: count the quantity×price cells by reference.
    let text = pages.join("\n");
    for school in &snap.scenarios[0].schools {
        for l in &school.lines {
            assert!(text.contains(&l.reference));
        }
    }
    let total = plain(&preau_core::format::euros(
        snap.scenarios[0].plan.total_ht_cents,
    ));
    assert!(plain(&text).contains(&total), "total {total} missing");
}

#[test]
fn long_texts_wrap_instead_of_being_cut() {
    let (dir, mut store) = store();
    let (visit, draft) = example(&mut store);
    let _ = visit;
    let mut snap = store.proposal_snapshot(&draft, today()).expect("snap");
    let long = "Travailler la compréhension de textes documentaires longs en mobilisant \
                des ressources numériques variées, en lien avec les familles et le collège \
                du secteur, sur l'ensemble des trois cycles de l'école"
        .to_string();
    snap.schools[0].objectives.push(long.clone());
    snap.scenarios[0].schools[0].lines[0].designation = long.clone();
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    // pdftotext -raw keeps reading order; joining lines must give the words back.
    let raw = tool(dir.path(), &pdf, "pdftotext", &["-raw"]);
    let flat = plain(&raw.split_whitespace().collect::<Vec<_>>().join(" "));
    for word in long.split(' ') {
        assert!(flat.contains(word), "{word:?} lost");
    }
}

#[test]
fn project_sheets_have_one_page_per_school() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let snap = store.proposal_snapshot(&draft, today()).expect("snap");
    let pdf = preau_pdf::render_project_sheets(&snap).expect("render");
    let pages = pages(dir.path(), &pdf);
    assert_eq!(pages.len(), snap.schools.len());
    for (page, school) in pages.iter().zip(&snap.schools) {
        assert!(page.contains("Fiche projet pédagogique"));
        assert!(page.contains(&school.name), "{}", school.name);
        assert!(plain(page).contains("Avis de l'IEN"));
    }
}

/// Words of each page with their boxes, from `pdftotext -bbox`.
fn word_boxes(dir: &Path, pdf: &[u8]) -> Vec<(usize, f32, f32, String)> {
    let html = tool(dir, pdf, "pdftotext", &["-bbox"]);
    let mut page = 0;
    let mut out = Vec::new();
    let attr = |line: &str, name: &str| -> f32 {
        line.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f32::NAN)
    };
    for line in html.lines() {
        if line.contains("<page ") {
            page += 1;
        } else if line.contains("<word ") {
            let word = line
                .split('>')
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap_or_default()
                .to_string();
            out.push((page, attr(line, "xMin"), attr(line, "xMax"), word));
        }
    }
    out
}

#[test]
fn the_longest_allowed_texts_stay_inside_the_margins() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let mut snap = store.proposal_snapshot(&draft, today()).expect("snap");
    // The longest values the settings and forms accept (80 characters and more).
    let long = "Syndicat intercommunal pour le développement du numérique éducatif de la Somme";
    snap.letterhead.organisation = long.into();
    snap.letterhead.address_lines = vec![long.into(); 4];
    snap.adviser.name = long.into();
    snap.adviser.title = long.into();
    snap.recipient.mayor_name = Some(long.into());
    snap.recipient.address = Some(format!("{long}, 80200 {long}"));
    snap.object = format!("{long} {long}");
    snap.scenarios[0].title = long.into();
    snap.participants[0].role = long.into();
    snap.schools[0].training_needs = format!("{long} {long} {long}");
    // Funders' names in the « qui paie quoi » notes and legend.
    for sc in &mut snap.scenarios {
        for aid in &mut sc.plan.aids {
            aid.name = format!("{long} {long}");
        }
    }
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    if let Some(path) = std::env::var_os("PREAU_PDF_DUMP") {
        std::fs::write(path, &pdf).expect("dump");
    }
    let words = word_boxes(dir.path(), &pdf);
    assert!(words.len() > 500);
    // A4 is 595 pt wide; the margins are 48 pt. The watermark is not on an issued
    // proposal, so every word must sit between the margins.
    let outside: Vec<_> = words
        .iter()
        .filter(|(_, x0, x1, w)| w != "PROJET" && (*x0 < 47.0 || *x1 > 548.0))
        .collect();
    assert!(outside.is_empty(), "words outside the margins: {outside:?}");
}

#[test]
fn the_proposal_names_its_markets_and_every_funding_programme() {
    use preau_core::proposals::{LotUse, MarketUse};
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let mut snap = store.proposal_snapshot(&draft, today()).expect("snap");
    // The example visit is priced from the demo catalogue: « démonstration ».
    let text = plain(
        &pages(
            dir.path(),
            &preau_pdf::render_proposal(&snap).expect("render"),
        )
        .join("\n"),
    );
    assert!(
        text.contains("Marché du groupement d'achat : démonstration"),
        "{text}"
    );
    assert!(!text.contains("non renseigné par ce catalogue"));
    for programme in [
        "DSIL",
        "FEDER Hauts-de-France",
        "Territoires numériques éducatifs",
    ] {
        assert!(text.contains(programme), "{programme} missing");
    }
    assert!(text.contains("Sur dossier, montant non calculable"));
    // Lines of the syndicate's catalogue, under a market that ends before the proposal.
    snap.catalogue.demo = false;
    snap.catalogue.demo_references = vec!["BEEPACK".into()];
    snap.catalogue.markets = vec![MarketUse {
        reference: "SN-2024-07".into(),
        label: Some("Équipements numériques des écoles".into()),
        ends_on: snap.valid_until - chrono::Days::new(10),
        lots: vec![LotUse {
            lot: "2".into(),
            label: Some("Postes, tablettes et mobilité".into()),
            references: vec!["TABL".into(), "CHAR16".into()],
        }],
    }];
    let text = plain(
        &pages(
            dir.path(),
            &preau_pdf::render_proposal(&snap).expect("render"),
        )
        .join("\n"),
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Marché du groupement d'achat : • SN-2024-07 « Équipements numériques des écoles »",
        "lot 2 Postes, tablettes et mobilité (TABL, CHAR16)",
        "démonstration pour BEEPACK",
        "Attention : le marché SN-2024-07 prend fin le",
    ] {
        assert!(flat.contains(want), "{want:?} missing in {flat}");
    }
}

#[test]
fn the_comparison_shows_who_pays_what_per_scenario_with_a_legend() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let mut snap = store.proposal_snapshot(&draft, today()).expect("snap");
    assert!(snap.scenarios.len() > 1, "the example compares scenarios");
    // Without the PROJET watermark, whose letters pdftotext mixes into the lines.
    snap.draft = false;
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    let pages = pages(dir.path(), &pdf);
    let page = pages
        .iter()
        .find(|p| p.contains("Qui paie quoi"))
        .map(|p| plain(p))
        .expect("a page with the chart");
    let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut grants = 0;
    let mut after_bars = 0;
    for sc in &snap.scenarios {
        let p = &sc.plan;
        assert!(flat.contains(&format!("Scénario {}", sc.label)));
        let mut parts = vec![];
        for aid in p.aids.iter().filter(|a| a.amount_cents > 0) {
            grants += 1;
            parts.push(format!("{} {}", aid.name, euros(aid.amount_cents)));
        }
        if p.fctva_cents > 0 {
            parts.push(format!("FCTVA {}", euros(p.fctva_cents)));
        }
        if p.remaining_ttc_cents > 0 {
            parts.push(format!("Commune {}", euros(p.remaining_ttc_cents)));
        }
        // The parts of each bar, named with their amounts in the bar's order, and its total.
        let wanted = plain(&parts.join(" · "));
        let at = flat
            .find(&wanted)
            .unwrap_or_else(|| panic!("{wanted:?} missing in {flat}"));
        after_bars = after_bars.max(at + wanted.len());
        assert!(flat.contains(&plain(&euros(p.total_ttc_cents))));
    }
    assert!(grants > 0, "the example has grants to show");
    // The legend, under the bars: every payer, the commune last.
    let legend = &flat[after_bars..];
    let legend = legend.split("4. Le plan").next().unwrap_or(legend);
    let names: Vec<String> = snap
        .scenarios
        .iter()
        .flat_map(|sc| sc.plan.aids.iter().filter(|a| a.amount_cents > 0))
        .map(|a| a.name.clone())
        .chain(["FCTVA".to_string()])
        .collect();
    for name in &names {
        let at = legend
            .find(name.as_str())
            .unwrap_or_else(|| panic!("{name:?} not in the legend {legend:?}"));
        assert!(at < legend.find("Commune").expect("commune in the legend"));
    }
}

fn euros(cents: i64) -> String {
    preau_core::format::euros(cents)
}

/// The page content streams, uncompressed by qpdf, as text.
fn content_streams(dir: &Path, pdf: &[u8]) -> String {
    let input = dir.join("in.pdf");
    let output = dir.join("qdf.pdf");
    std::fs::write(&input, pdf).expect("write pdf");
    let status = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(&input)
        .arg(&output)
        .status()
        .expect("qpdf (apt install qpdf)");
    assert!(status.success());
    String::from_utf8_lossy(&std::fs::read(&output).expect("read qdf")).into_owned()
}

/// The PDF operator that sets a fill colour, as printpdf writes it.
fn fill_operator(hex: u32) -> String {
    let c = |shift: u32| f32::from(((hex >> shift) & 0xff) as u8) / 255.0;
    format!("{} {} {} rg", c(16), c(8), c(0))
}

#[test]
fn the_letterhead_colour_is_the_documents_accent() {
    let (dir, mut store) = store();
    let (_visit, draft) = example(&mut store);
    let mut snap = store.proposal_snapshot(&draft, today()).expect("snap");
    let default = content_streams(
        dir.path(),
        &preau_pdf::render_proposal(&snap).expect("render"),
    );
    assert!(default.contains(&fill_operator(0x1d4e89)));

    snap.letterhead.accent = preau_core::proposals::Accent::parse("#2e6b3a").expect("a dark green");
    if let Some(path) = std::env::var_os("PREAU_PDF_DUMP") {
        // Run this test alone to look at it.
        std::fs::write(path, preau_pdf::render_proposal(&snap).expect("render")).expect("dump");
    }
    for pdf in [
        preau_pdf::render_proposal(&snap).expect("render"),
        preau_pdf::render_project_sheets(&snap).expect("sheets"),
    ] {
        let text = content_streams(dir.path(), &pdf);
        // Headings, table headers, the commune's share: all in the chosen colour, and no
        // trace of the default one.
        let uses = text.matches(&fill_operator(0x2e6b3a)).count();
        assert!(uses >= 3, "{uses} uses of the accent");
        assert!(!text.contains(&fill_operator(0x1d4e89)));
    }
}
