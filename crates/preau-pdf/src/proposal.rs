//! The proposal's content, in the order the mayor reads it.

use preau_core::format::{date, euros, integer, percent};
use preau_core::plan::{Base, FundingPlan};
use preau_core::proposals::{ProposalSnapshot, ScenarioSnapshot};
use printpdf::{Op, Pt, XObjectTransform};

use crate::canvas::*;
use crate::document::logo_id;
use crate::fonts::{Face, Fonts};

const BODY: Style = Style::new(Face::Regular, 9.5);
const SMALL: Style = Style::new(Face::Regular, 8.0);
const CELL: Style = Style::new(Face::Regular, 8.0);
const CELL_BOLD: Style = Style::new(Face::Bold, 8.0);

pub(crate) fn layout(fonts: &Fonts, s: &ProposalSnapshot) -> Vec<Vec<Op>> {
    let mut c = Canvas::new(
        fonts,
        s.draft.then_some("PROJET"),
        Colour::accent(s.letterhead.accent),
    );
    letterhead(&mut c, s, true);
    recipient_and_reference(&mut c, s);
    letter(&mut c, s);
    participants(&mut c, s);
    project(&mut c, s);
    equipment(&mut c, s);
    if s.scenarios.len() > 1 {
        comparison(&mut c, s);
    }
    funding(&mut c, s);
    catalogue(&mut c, s);
    next_steps(&mut c, s);
    signatures(&mut c, s);
    let left = format!(
        "{} · Proposition {}",
        s.letterhead.organisation,
        s.reference()
    );
    let middle = format!("Empreinte {}", s.short_hash());
    c.finish(&left, &middle)
}

/// The syndicate's logo, name and address at the top of the first page.
pub(crate) fn letterhead(c: &mut Canvas, s: &ProposalSnapshot, full: bool) {
    let top = c.y;
    let logo_size = if full { 58.0 } else { 40.0 };
    let mut x = MARGIN_X;
    if let Some(png) = &s.letterhead.logo_png {
        if let Some((w, h)) = png_size(png) {
            let scale = logo_size / w.max(h) as f32;
            c.push_op(Op::UseXobject {
                id: logo_id(),
                transform: XObjectTransform {
                    translate_x: Some(Pt(MARGIN_X)),
                    translate_y: Some(Pt(PAGE_H - top - h as f32 * scale)),
                    scale_x: Some(scale),
                    scale_y: Some(scale),
                    dpi: Some(72.0),
                    ..Default::default()
                },
            });
            x += logo_size + 12.0;
        }
    }
    let name = Style::new(Face::Bold, if full { 15.0 } else { 12.0 }).color(c.accent);
    let width = PAGE_W - MARGIN_X - x;
    let mut y = c.block(x, top, width, name, &s.letterhead.organisation) + 2.0;
    if full {
        for line in &s.letterhead.address_lines {
            y = c.block(x, y, width, SMALL.color(MUTED), line);
        }
        if !s.letterhead.contact_line.is_empty() {
            y = c.block(x, y, width, SMALL.color(MUTED), &s.letterhead.contact_line);
        }
    }
    c.y = (top + logo_size).max(y) + 10.0;
}

/// Width and height of a PNG from its header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let w = u32::from_be_bytes(png.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(png.get(20..24)?.try_into().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

fn recipient_and_reference(c: &mut Canvas, s: &ProposalSnapshot) {
    let x = MARGIN_X + BODY_W * 0.55;
    let width = BODY_W * 0.45;
    let start = c.y;
    let mut lines = vec![(s.recipient.title.clone(), Face::Bold)];
    if let Some(name) = &s.recipient.mayor_name {
        lines.push((name.clone(), Face::Regular));
    }
    lines.push((s.recipient.mairie.clone(), Face::Regular));
    if let Some(address) = &s.recipient.address {
        // "1 place X, 80200 Péronne" reads better on two lines.
        match address.rsplit_once(", ") {
            Some((street, town)) => {
                lines.push((street.to_string(), Face::Regular));
                lines.push((town.to_string(), Face::Regular));
            }
            None => lines.push((address.clone(), Face::Regular)),
        }
    }
    for (text, face) in lines {
        c.paragraph(x, width, Style::new(face, 10.0), &text);
    }
    c.y = c.y.max(start + 60.0) + 14.0;
    c.text_at(
        PAGE_W - MARGIN_X,
        c.y + 9.5,
        BODY,
        Align::Right,
        &format!("{}, le {}", s.place, date(s.date)),
    );
    c.y += 22.0;

    let reference = match &s.number {
        Some(_) => s.reference(),
        None => "attribuée à l'émission (document de travail)".to_string(),
    };
    let mut rows = vec![("Référence :", reference)];
    if let Some(prev) = &s.replaces {
        rows.push((
            "Remplace :",
            format!("la révision {prev}, qui n'est plus valable"),
        ));
    }
    rows.push(("Valable jusqu'au :", date(s.valid_until)));
    rows.push(("Objet :", s.object.clone()));
    for (label, value) in rows {
        c.labelled(label, &value, 9.5);
    }
    if s.draft {
        c.space(2.0);
        c.paragraph(
            MARGIN_X,
            BODY_W,
            SMALL.color(MUTED),
            "Document de travail : ce projet n'a pas de valeur d'engagement tant qu'il n'est pas \
             émis avec un numéro.",
        );
    }
    c.space(10.0);
}

fn letter(c: &mut Canvas, s: &ProposalSnapshot) {
    let schools = match s.schools.len() {
        0 => "de la commune".to_string(),
        1 => of_school(&s.schools[0].name),
        n => format!("des {n} écoles de la commune"),
    };
    let meeting = date(s.meeting_date);
    let text = [
        format!("{},", s.recipient.title),
        format!(
            "À la suite de notre rencontre du {meeting} à {}, nous avons le plaisir de vous \
             adresser la proposition construite ensemble pour l'équipement numérique {schools}. \
             Elle part du projet pédagogique de chaque école : chaque équipement proposé sert \
             un objectif nommé, et les choix ont été faits en commun par les personnes présentes.",
            s.commune.name
        ),
        "Les prix sont ceux du catalogue négocié par le groupement d'achat du syndicat. Le plan \
         de financement indique les aides mobilisables, le FCTVA récupérable sur \
         l'investissement et le reste à charge réel de la commune, fonctionnement compris. \
         Les montants marqués « à vérifier » reposent sur une règle que le syndicat doit \
         encore confirmer."
            .to_string(),
    ];
    for (i, p) in text.iter().enumerate() {
        c.paragraph(MARGIN_X, BODY_W, BODY, p);
        c.space(if i == 0 { 4.0 } else { 6.0 });
    }
}

/// "de l'école primaire Jean Jaurès" from "École primaire Jean Jaurès".
fn of_school(name: &str) -> String {
    match name.strip_prefix("École") {
        Some(rest) => format!("de l'école{rest}"),
        None => format!("de l'école {name}"),
    }
}

fn participants(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("1. Les participants à la rencontre", 30.0);
    if s.participants.is_empty() {
        c.paragraph(MARGIN_X, BODY_W, BODY, "Aucun participant n'a été noté.");
        return;
    }
    let cols = [
        Column {
            title: "Nom",
            width: BODY_W * 0.45,
            align: Align::Left,
        },
        Column {
            title: "Qualité",
            width: BODY_W * 0.55,
            align: Align::Left,
        },
    ];
    c.table_header(&cols, 8.0);
    for (i, p) in s.participants.iter().enumerate() {
        c.table_row(
            &cols,
            &[(p.name.clone(), CELL), (p.role.clone(), CELL)],
            i % 2 == 1,
        );
    }
}

fn project(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("2. Le projet pédagogique", 60.0);
    for school in &s.schools {
        // Keep a school's project on one page when it can be: about one line per item.
        let lines = school.objectives.len() + 8;
        if (lines as f32) * 12.5 < 600.0 {
            c.ensure(lines as f32 * 12.5);
        }
        project_of(c, school);
        c.space(6.0);
    }
}

pub(crate) fn project_of(c: &mut Canvas, school: &preau_core::proposals::SchoolProject) {
    let mut facts = vec![school.kind.clone()];
    if let Some(uai) = &school.uai {
        facts.push(format!("UAI {uai}"));
    }
    if let Some(n) = school.classes {
        facts.push(format!("{n} classe{}", if n > 1 { "s" } else { "" }));
    }
    if let Some(n) = school.pupils {
        facts.push(format!(
            "{} élève{}",
            integer(u64::from(n)),
            if n > 1 { "s" } else { "" }
        ));
    }
    c.subheading(&school.name, 40.0);
    c.paragraph(MARGIN_X, BODY_W, SMALL.color(MUTED), &facts.join(" · "));
    c.space(3.0);
    if school.objectives.is_empty() {
        c.labelled("Objectifs :", "non renseignés", 9.0);
    } else {
        c.paragraph(
            MARGIN_X,
            BODY_W,
            Style::new(Face::Bold, 9.0),
            "Objectifs pédagogiques :",
        );
        c.bullets(&school.objectives, Style::new(Face::Regular, 9.0));
    }
    let or_none = |v: &[String]| {
        if v.is_empty() {
            "non renseignés".to_string()
        } else {
            v.join(", ")
        }
    };
    c.labelled("Cycles :", &or_none(&school.cycles), 9.0);
    c.labelled("Usages visés :", &or_none(&school.uses), 9.0);
    if !school.crcn.is_empty() {
        c.labelled("Compétences (CRCN) :", &school.crcn.join(", "), 9.0);
    }
    c.labelled(
        "Formation :",
        if school.training_needs.is_empty() {
            "non renseignée"
        } else {
            &school.training_needs
        },
        9.0,
    );
    let mut ien = school.ien_status.clone();
    if let Some(d) = school.ien_date {
        ien.push_str(&format!(" (le {})", date(d)));
    }
    if !school.ien_comment.is_empty() {
        ien.push_str(&format!(" — {}", school.ien_comment));
    }
    c.labelled("Validation IEN :", &ien, 9.0);
}

fn equipment_columns() -> [Column; 6] {
    [
        Column {
            title: "Désignation",
            width: 160.0,
            align: Align::Left,
        },
        Column {
            title: "Réf.",
            width: 52.0,
            align: Align::Left,
        },
        Column {
            title: "Qté",
            width: 30.0,
            align: Align::Right,
        },
        Column {
            title: "PU HT",
            width: 64.0,
            align: Align::Right,
        },
        Column {
            title: "Total HT",
            width: 70.0,
            align: Align::Right,
        },
        Column {
            title: "Objectif servi",
            width: BODY_W - 376.0,
            align: Align::Left,
        },
    ]
}

fn scenario_title(sc: &ScenarioSnapshot) -> String {
    if sc.title.is_empty() {
        format!("Scénario {}", sc.label)
    } else {
        format!("Scénario {} — {}", sc.label, sc.title)
    }
}

fn equipment(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("3. Les équipements proposés", 80.0);
    if s.scenarios.len() > 1 {
        c.paragraph(
            MARGIN_X,
            BODY_W,
            BODY,
            &format!(
                "{} scénarios sont proposés ; la commune retient celui qui lui convient. \
                 Leur comparaison suit le détail.",
                s.scenarios.len()
            ),
        );
        c.space(4.0);
    }
    let cols = equipment_columns();
    for sc in &s.scenarios {
        c.subheading(&scenario_title(sc), 60.0);
        for school in &sc.schools {
            c.ensure(50.0);
            c.paragraph(
                MARGIN_X,
                BODY_W,
                Style::new(Face::Bold, 9.0).color(c.accent),
                &school.school,
            );
            c.space(2.0);
            c.table_header(&cols, 8.0);
            for (i, l) in school.lines.iter().enumerate() {
                let mut designation = l.designation.clone();
                if let Some(class) = &l.class {
                    designation.push_str(&format!(" — {class}"));
                }
                let objective = if l.objectives.is_empty() {
                    "—".to_string()
                } else {
                    l.objectives.join(" ; ")
                };
                let unit = if l.yearly {
                    format!("{} / an", euros(l.unit_price_ht_cents))
                } else {
                    euros(l.unit_price_ht_cents)
                };
                c.table_row(
                    &cols,
                    &[
                        (designation, CELL),
                        (l.reference.clone(), CELL),
                        (integer(u64::from(l.quantity)), CELL),
                        (unit, CELL),
                        (euros(l.total_ht_cents), CELL),
                        (objective, CELL),
                    ],
                    i % 2 == 1,
                );
            }
            c.table_row(
                &cols,
                &[
                    (format!("Sous-total {}", school.school), CELL_BOLD),
                    (String::new(), CELL),
                    (String::new(), CELL),
                    (String::new(), CELL),
                    (euros(school.subtotal_ht_cents), CELL_BOLD),
                    (String::new(), CELL),
                ],
                false,
            );
            c.space(6.0);
        }
        totals(c, &sc.plan);
        c.space(8.0);
    }
}

/// A right-hand block of "label  amount" lines.
fn amount_lines(c: &mut Canvas, rows: &[(String, String, bool)]) {
    let label_x = MARGIN_X + BODY_W * 0.42;
    for (label, amount, strong) in rows {
        let style = if *strong {
            Style::new(Face::Bold, 9.5)
        } else {
            BODY
        };
        let label_lines = c.fonts.wrap(style.face, label, style.size, BODY_W * 0.40);
        c.ensure(style.leading() * label_lines.len() as f32 + 2.0);
        if *strong {
            c.rule(label_x, PAGE_W - MARGIN_X, c.y, 0.5, RULE);
            c.space(2.0);
        }
        for (i, line) in label_lines.iter().enumerate() {
            c.text_at(label_x, c.y + style.size, style, Align::Left, line);
            if i == 0 {
                c.text_at(
                    PAGE_W - MARGIN_X,
                    c.y + style.size,
                    style,
                    Align::Right,
                    amount,
                );
            }
            c.y += style.leading();
        }
    }
}

fn totals(c: &mut Canvas, plan: &FundingPlan) {
    let mut rows = vec![("Total HT".to_string(), euros(plan.total_ht_cents), false)];
    for v in &plan.vat {
        rows.push((
            format!(
                "TVA {} sur {}",
                percent(v.rate_bp * 100),
                euros(v.base_ht_cents)
            ),
            euros(v.vat_cents),
            false,
        ));
    }
    rows.push(("Total TTC".to_string(), euros(plan.total_ttc_cents), true));
    amount_lines(c, &rows);
}

fn comparison(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("Comparaison des scénarios", 120.0);
    let n = s.scenarios.len() as f32;
    let label_w = 170.0;
    let col_w = (BODY_W - label_w) / n;
    let mut cols = vec![Column {
        title: "",
        width: label_w,
        align: Align::Left,
    }];
    let titles: Vec<&'static str> = s
        .scenarios
        .iter()
        .map(|sc| match sc.label.as_str() {
            "A" => "Scénario A",
            "B" => "Scénario B",
            "C" => "Scénario C",
            _ => "Scénario",
        })
        .collect();
    for t in titles {
        cols.push(Column {
            title: t,
            width: col_w,
            align: Align::Right,
        });
    }
    c.table_header(&cols, 8.0);
    type Pick = fn(&FundingPlan) -> String;
    let rows: [(&str, Pick); 8] = [
        ("Total HT", |p| euros(p.total_ht_cents)),
        ("Total TTC", |p| euros(p.total_ttc_cents)),
        ("Aides", |p| euros(p.total_aid_cents)),
        ("FCTVA récupérable", |p| euros(p.fctva_cents)),
        ("Reste à charge HT", |p| euros(p.remaining_ht_cents)),
        ("Reste à charge TTC", |p| euros(p.remaining_ttc_cents)),
        ("Fonctionnement par an (TTC)", |p| {
            euros(p.yearly_running_ttc_cents)
        }),
        ("Coût total sur la durée de vie", |p| {
            format!(
                "{} ({} ans)",
                euros(p.total_cost_over_life_cents),
                p.life_years
            )
        }),
    ];
    for (i, (label, pick)) in rows.iter().enumerate() {
        let strong = *label == "Reste à charge TTC";
        let style = if strong { CELL_BOLD } else { CELL };
        let mut cells = vec![(label.to_string(), style)];
        for sc in &s.scenarios {
            cells.push((pick(&sc.plan), style));
        }
        c.table_row(&cols, &cells, i % 2 == 1);
    }
    let titles: Vec<String> = s.scenarios.iter().map(scenario_title).collect();
    c.space(3.0);
    c.paragraph(MARGIN_X, BODY_W, SMALL.color(MUTED), &titles.join(" · "));
    c.space(4.0);
    crate::chart::who_pays_what(c, &s.scenarios);
}

fn base_label(base: Base) -> &'static str {
    match base {
        Base::Ht => "HT",
        Base::Ttc => "TTC",
    }
}

fn funding(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("4. Le plan de financement", 100.0);
    let cols = [
        Column {
            title: "Financement",
            width: 170.0,
            align: Align::Left,
        },
        Column {
            title: "Assiette",
            width: 86.0,
            align: Align::Right,
        },
        Column {
            title: "Taux",
            width: 56.0,
            align: Align::Right,
        },
        Column {
            title: "Montant",
            width: 80.0,
            align: Align::Right,
        },
        Column {
            title: "Statut",
            width: BODY_W - 392.0,
            align: Align::Left,
        },
    ];
    for sc in &s.scenarios {
        let p = &sc.plan;
        if s.scenarios.len() > 1 {
            c.subheading(&scenario_title(sc), 90.0);
        }
        c.table_header(&cols, 8.0);
        let mut i = 0;
        for aid in &p.aids {
            c.table_row(
                &cols,
                &[
                    (aid.name.clone(), CELL),
                    (
                        format!("{} {}", euros(aid.base_cents), base_label(aid.base)),
                        CELL,
                    ),
                    (percent(aid.rate_ppm), CELL),
                    (euros(aid.amount_cents), CELL),
                    (aid.status.label().to_string(), status_style(aid.status)),
                ],
                i % 2 == 1,
            );
            i += 1;
        }
        for u in &p.not_computed {
            c.table_row(
                &cols,
                &[
                    (u.name.clone(), CELL),
                    ("—".to_string(), CELL),
                    ("—".to_string(), CELL),
                    ("non chiffré".to_string(), CELL),
                    (u.status.label().to_string(), status_style(u.status)),
                ],
                i % 2 == 1,
            );
            i += 1;
        }
        c.table_row(
            &cols,
            &[
                (
                    "FCTVA (récupérée par la commune sur l'investissement)".to_string(),
                    CELL,
                ),
                (format!("{} TTC", euros(p.fctva_base_ttc_cents)), CELL),
                (percent(p.fctva_rate_ppm), CELL),
                (euros(p.fctva_cents), CELL),
                (
                    p.fctva_status.label().to_string(),
                    status_style(p.fctva_status),
                ),
            ],
            i % 2 == 1,
        );
        c.space(6.0);
        let mut rows = vec![
            ("Total TTC".to_string(), euros(p.total_ttc_cents), false),
            ("Aides".to_string(), euros(-p.total_aid_cents), false),
            ("FCTVA".to_string(), euros(-p.fctva_cents), false),
            (
                "Reste à charge de la commune TTC".to_string(),
                euros(p.remaining_ttc_cents),
                true,
            ),
            (
                "Reste à charge de la commune HT".to_string(),
                euros(p.remaining_ht_cents),
                false,
            ),
            (
                "Fonctionnement annuel TTC (licences, maintenance)".to_string(),
                euros(p.yearly_running_ttc_cents),
                false,
            ),
            (
                format!("Coût total sur {} ans", p.life_years),
                euros(p.total_cost_over_life_cents),
                true,
            ),
        ];
        if let Some(per_pupil) = p.cost_per_pupil_per_year_cents {
            rows.push((
                "Soit, par élève et par an".to_string(),
                euros(per_pupil),
                false,
            ));
        }
        amount_lines(c, &rows);
        let mut notes: Vec<String> = Vec::new();
        if p.capped {
            notes.push(
                "Les aides sont plafonnées pour que la commune garde au moins 20 % de la dépense \
                 à sa charge (règle de la part minimale du maître d'ouvrage)."
                    .to_string(),
            );
        }
        for aid in &p.aids {
            if !aid.explanation.is_empty() {
                notes.push(format!("{} : {}", aid.name, aid.explanation));
            }
        }
        for aid in &p.not_applicable {
            notes.push(format!("{} non retenu : {}", aid.name, aid.explanation));
        }
        for u in &p.not_computed {
            notes.push(format!("{} non chiffré : {}", u.name, u.reason));
        }
        if !notes.is_empty() {
            c.space(4.0);
            for n in notes {
                c.paragraph(MARGIN_X, BODY_W, SMALL.color(MUTED), &n);
                c.space(1.5);
            }
        }
        c.space(8.0);
    }
}

fn status_style(status: preau_core::plan::RuleStatus) -> Style {
    match status {
        preau_core::plan::RuleStatus::Sourced => CELL,
        _ => CELL_BOLD.color(WARN),
    }
}

fn catalogue(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("5. Catalogue et marché", 40.0);
    let cat = &s.catalogue;
    let mut text = format!(
        "Prix du catalogue « {} », version {}.",
        cat.label, cat.version
    );
    if cat.indicative {
        text.push_str(
            " Catalogue de démonstration : les prix sont indicatifs et seront confirmés par le \
             catalogue du marché en vigueur.",
        );
    }
    c.paragraph(MARGIN_X, BODY_W, BODY, &text);
    c.space(2.0);
    let (title, values, warnings) = market_lines(s);
    match values.as_slice() {
        [one] => c.labelled(title, one, 9.5),
        _ => {
            c.paragraph(MARGIN_X, BODY_W, Style::new(Face::Bold, 9.5), title);
            c.bullets(&values, BODY);
        }
    }
    for w in warnings {
        c.labelled("Attention :", &w, 9.5);
    }
    c.labelled(
        "Règles de financement :",
        &format!("version {}", s.funding_version),
        9.5,
    );
    c.labelled(
        "Prix figés :",
        "les prix de cette proposition restent ceux de cette version du catalogue jusqu'à la \
         date de validité.",
        9.5,
    );
}

/// "Marché du groupement d'achat :" and what it says: each market of the proposed lines
/// with its end and the lots used (and their references), « démonstration » for lines of
/// the demo catalogue, and a warning when a market ends before the proposal does.
fn market_lines(s: &ProposalSnapshot) -> (&'static str, Vec<String>, Vec<String>) {
    let cat = &s.catalogue;
    let title = if cat.markets.len() > 1 {
        "Marchés du groupement d'achat :"
    } else {
        "Marché du groupement d'achat :"
    };
    let mut values: Vec<String> = cat
        .markets
        .iter()
        .map(|m| {
            let name = match &m.label {
                Some(l) => format!("{} « {l} »", m.reference),
                None => m.reference.clone(),
            };
            let lots: Vec<String> = m
                .lots
                .iter()
                .map(|l| {
                    let label = l
                        .label
                        .as_ref()
                        .map(|x| format!(" {x}"))
                        .unwrap_or_default();
                    format!("lot {}{label} ({})", l.lot, l.references.join(", "))
                })
                .collect();
            format!(
                "{name}, jusqu'au {} ; {}.",
                date(m.ends_on),
                lots.join(" ; ")
            )
        })
        .collect();
    let demo = &cat.demo_references;
    if !demo.is_empty() && values.is_empty() && cat.references_without_market.is_empty() {
        values.push(
            "démonstration (le catalogue de démonstration n'est rattaché à aucun marché)."
                .to_string(),
        );
    } else if !demo.is_empty() {
        values.push(format!(
            "démonstration pour {} : prix du catalogue de démonstration, sans marché.",
            demo.join(", ")
        ));
    } else if cat.demo && values.is_empty() && cat.references_without_market.is_empty() {
        values.push("démonstration (catalogue de démonstration).".to_string());
    }
    if !cat.references_without_market.is_empty() {
        values.push(format!(
            "non renseigné pour {} (version du catalogue sans marché).",
            cat.references_without_market.join(", ")
        ));
    }
    if values.is_empty() {
        values.push("non renseigné.".to_string());
    }
    let warnings = cat
        .markets
        .iter()
        .filter(|m| m.ends_on < s.valid_until)
        .map(|m| {
            format!(
                "le marché {} prend fin le {}, avant la fin de validité de cette proposition : \
                 la commande doit être passée avant cette date.",
                m.reference,
                date(m.ends_on)
            )
        })
        .collect();
    (title, values, warnings)
}

fn next_steps(c: &mut Canvas, s: &ProposalSnapshot) {
    c.heading("6. Les prochaines étapes", 90.0);
    let ien: Vec<String> = s
        .schools
        .iter()
        .map(|sc| format!("{} : {}", sc.name, lower(&sc.ien_status)))
        .collect();
    let steps = [
        format!(
            "Validation du projet pédagogique par l'IEN de circonscription ({}).",
            ien.join(" ; ")
        ),
        "Délibération du conseil municipal approuvant le projet et son plan de financement, \
         puis dépôt des demandes d'aide."
            .to_string(),
        "Commande par la commune à travers le groupement d'achat du syndicat, aux prix du \
         marché."
            .to_string(),
        "Livraison, installation et mise en service dans les écoles, avec le syndicat.".to_string(),
        "Formation des enseignants et accompagnement des premiers usages.".to_string(),
    ];
    for (i, step) in steps.iter().enumerate() {
        let lines = c.fonts.wrap(BODY.face, step, BODY.size, BODY_W - 18.0);
        for (j, line) in lines.iter().enumerate() {
            c.ensure(BODY.leading());
            if j == 0 {
                c.text_at(
                    MARGIN_X,
                    c.y + BODY.size,
                    Style::new(Face::Bold, 9.5).color(c.accent),
                    Align::Left,
                    &format!("{}.", i + 1),
                );
            }
            c.text_at(MARGIN_X + 18.0, c.y + BODY.size, BODY, Align::Left, line);
            c.y += BODY.leading();
        }
        c.space(2.0);
    }
}

fn lower(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn signatures(c: &mut Canvas, s: &ProposalSnapshot) {
    let h = 120.0;
    c.ensure(h + 40.0);
    c.space(14.0);
    c.paragraph(
        MARGIN_X,
        BODY_W,
        BODY,
        &format!(
            "Nous restons à votre disposition pour toute question. Veuillez agréer, {}, \
             l'expression de notre considération distinguée.",
            s.recipient.title
        ),
    );
    c.space(12.0);
    let top = c.y;
    let w = (BODY_W - 20.0) / 2.0;
    let inner = w - 16.0;
    let right = MARGIN_X + w + 20.0;
    let head = Style::new(Face::Bold, 9.0).color(c.accent);
    let strong = Style::new(Face::Bold, 9.0);
    let muted = SMALL.color(MUTED);

    let x = MARGIN_X + 8.0;
    let mut y = c.block(
        x,
        top + 6.0,
        inner,
        head,
        &format!("Pour {}", s.letterhead.organisation),
    );
    y = c.block(x, y + 2.0, inner, strong, &s.adviser.name);
    for line in [&s.adviser.title, &s.adviser.phone, &s.adviser.email] {
        if !line.is_empty() {
            y = c.block(x, y, inner, muted, line);
        }
    }
    let left_used = y - top;

    let x = right + 8.0;
    let mut y = c.block(
        x,
        top + 6.0,
        inner,
        head,
        &format!("Pour la commune de {}", s.commune.name),
    );
    y = c.block(x, y + 2.0, inner, strong, "Le Maire, « Bon pour accord »");
    y = c.block(x, y + 2.0, inner, muted, "Date :");
    let right_used = y - top;

    // Room to sign under the longest side.
    let h = (left_used.max(right_used) + 60.0).max(h);
    c.stroke_rect(MARGIN_X, top, w, h, RULE);
    c.stroke_rect(right, top, w, h, RULE);
    c.text_at(
        MARGIN_X + 8.0,
        top + h - 8.0,
        muted,
        Align::Left,
        "Signature",
    );
    c.text_at(
        right + 8.0,
        top + h - 8.0,
        muted,
        Align::Left,
        "Signature et cachet de la mairie",
    );
    c.y = top + h + 6.0;
}

#[cfg(test)]
mod tests {
    #[test]
    fn school_names_read_well_in_a_sentence() {
        for (name, want) in [
            (
                "École primaire Jean Jaurès",
                "de l'école primaire Jean Jaurès",
            ),
            (
                "Groupe scolaire Les Tilleuls",
                "de l'école Groupe scolaire Les Tilleuls",
            ),
        ] {
            assert_eq!(super::of_school(name), want);
        }
    }
}
