//! Render time and size of a 3-school, 40-line proposal, and the same content printed by
//! headless Chromium from an HTML page, side by side in the same run.
//!
//! `cargo bench -p preau-pdf --bench render` (release). Chromium is optional: without
//! `/usr/bin/chromium` (Debian package `chromium`), only Préau's figures are printed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use preau_core::format::euros;
use preau_core::proposals::ProposalSnapshot;

#[path = "../tests/common/mod.rs"]
mod common;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The same content as the PDF, as a plain HTML page with print CSS.
fn html(s: &ProposalSnapshot) -> String {
    let mut h = String::from(
        "<!doctype html><html lang=fr><meta charset=utf-8><style>\
         @page{size:A4;margin:16mm 17mm 22mm}body{font:9.5pt 'DejaVu Sans',sans-serif;color:#1f2933}\
         h1{color:#1d4e89;font-size:15pt}h2{color:#1d4e89;font-size:12pt;border-bottom:1px solid #1d4e89}\
         table{width:100%;border-collapse:collapse;font-size:8pt}thead{display:table-header-group}\
         th{background:#e9eff6;color:#1d4e89;text-align:left}td,th{padding:2pt 3pt;border-bottom:.3pt solid #c5cdd8}\
         .r{text-align:right}</style><body>",
    );
    h += &format!("<h1>{}</h1>", esc(&s.letterhead.organisation));
    for l in &s.letterhead.address_lines {
        h += &format!("<div>{}</div>", esc(l));
    }
    h += &format!(
        "<p><b>{}</b><br>{}</p><p>{}, le {}</p><p><b>Objet :</b> {}</p>",
        esc(&s.recipient.title),
        esc(&s.recipient.mairie),
        esc(&s.place),
        preau_core::format::date(s.date),
        esc(&s.object)
    );
    h += "<h2>Le projet pédagogique</h2>";
    for school in &s.schools {
        h += &format!("<h3>{}</h3><ul>", esc(&school.name));
        for o in &school.objectives {
            h += &format!("<li>{}</li>", esc(o));
        }
        h += &format!("</ul><p>Validation IEN : {}</p>", esc(&school.ien_status));
    }
    h += "<h2>Les équipements proposés</h2>";
    for sc in &s.scenarios {
        for school in &sc.schools {
            h += &format!(
                "<h3>{}</h3><table><thead><tr><th>Désignation<th>Réf.<th class=r>Qté\
                 <th class=r>PU HT<th class=r>Total HT<th>Objectif servi</thead><tbody>",
                esc(&school.school)
            );
            for l in &school.lines {
                h += &format!(
                    "<tr><td>{}<td>{}<td class=r>{}<td class=r>{}<td class=r>{}<td>{}",
                    esc(&l.designation),
                    esc(&l.reference),
                    l.quantity,
                    euros(l.unit_price_ht_cents),
                    euros(l.total_ht_cents),
                    esc(&l.objectives.join(" ; "))
                );
            }
            h += &format!(
                "<tr><td><b>Sous-total</b><td><td><td><td class=r><b>{}</b><td></tbody></table>",
                euros(school.subtotal_ht_cents)
            );
        }
        let p = &sc.plan;
        h += "<h2>Le plan de financement</h2><table><tbody>";
        for aid in &p.aids {
            h += &format!(
                "<tr><td>{}<td class=r>{}<td>{}",
                esc(&aid.name),
                euros(aid.amount_cents),
                aid.status.label()
            );
        }
        for (label, v) in [
            ("Total TTC", p.total_ttc_cents),
            ("FCTVA", p.fctva_cents),
            ("Reste à charge TTC", p.remaining_ttc_cents),
            ("Fonctionnement annuel", p.yearly_running_ttc_cents),
            ("Coût sur la durée de vie", p.total_cost_over_life_cents),
        ] {
            h += &format!("<tr><td>{label}<td class=r>{}<td>", euros(v));
        }
        h += "</tbody></table>";
    }
    h += "<h2>Les prochaines étapes</h2><ol><li>Validation IEN<li>Délibération du conseil \
          municipal<li>Commande<li>Installation<li>Formation</ol>\
          <table><tr><td style=height:90pt>Pour le syndicat<td>Le Maire, « Bon pour accord »\
          </table></body></html>";
    h
}

fn chromium(dir: &Path, page: &str, runs: usize) -> Option<(Vec<Duration>, u64)> {
    let exe = Path::new("/usr/bin/chromium");
    if !exe.exists() {
        return None;
    }
    let input = dir.join("proposal.html");
    std::fs::write(&input, page).ok()?;
    let out = dir.join("chromium.pdf");
    let mut times = Vec::new();
    for i in 0..runs {
        let profile = dir.join(format!("profile-{i}"));
        let start = Instant::now();
        let status = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--print-to-pdf={}", out.display()))
            .arg(format!("file://{}", input.display()))
            .output()
            .ok()?;
        times.push(start.elapsed());
        if !status.status.success() {
            eprintln!(
                "chromium failed: {}",
                String::from_utf8_lossy(&status.stderr)
            );
            return None;
        }
    }
    let size = std::fs::metadata(&out).ok()?.len();
    times.sort();
    Some((times, size))
}

fn main() {
    let (dir, mut store) = common::store();
    let visit = common::big_visit(&mut store, 40, 3);
    let draft = store
        .proposal_draft(&visit, common::today())
        .expect("draft");
    let mut snap = store
        .proposal_snapshot(&draft.id, common::today())
        .expect("snapshot");
    snap.draft = false;
    snap.number = Some("2026-BENCH-0001".into());
    assert_eq!(snap.schools.len(), 3);

    let cold = Instant::now();
    let pdf = preau_pdf::render_proposal(&snap).expect("render");
    let cold = cold.elapsed();
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let again = preau_pdf::render_proposal(&snap).expect("render");
        times.push(t.elapsed());
        assert!(again.len() == pdf.len());
    }
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "preau-pdf, 3 schools, 40 lines: p50 {:.2} ms, p99 {:.2} ms, first render {:.2} ms \
         (parses the fonts), {} KB",
        ms(p50),
        ms(percentile(&times, 0.99)),
        ms(cold),
        pdf.len() / 1024
    );
    // The same with a second scenario: the comparison table and its « qui paie quoi » bars.
    let mut two = snap.clone();
    let mut b = two.scenarios[0].clone();
    b.label = "B".into();
    two.scenarios.push(b);
    let mut times2 = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let pdf = preau_pdf::render_proposal(&two).expect("render");
        times2.push(t.elapsed());
        assert!(!pdf.is_empty());
    }
    times2.sort();
    println!(
        "preau-pdf, same with a second scenario (comparison and chart): p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&times2, 0.5)),
        ms(percentile(&times2, 0.99)),
    );
    match chromium(dir.path(), &html(&snap), 7) {
        Some((times, size)) => {
            let c50 = percentile(&times, 0.5);
            println!(
                "chromium --headless --print-to-pdf, same content: p50 {:.0} ms (min {:.0}), {} KB",
                ms(c50),
                ms(times[0]),
                size / 1024
            );
            println!(
                "ratio: preau-pdf is {:.0}× faster (p50 vs p50)",
                c50.as_secs_f64() / p50.as_secs_f64()
            );
        }
        None => println!("chromium: not installed (apt install chromium) — no comparison"),
    }
}
