//! The pedagogical project sheet of each school, one page each, for the IEN.

use preau_core::format::{date, euros, integer};
use preau_core::proposals::ProposalSnapshot;
use printpdf::Op;

use crate::canvas::*;
use crate::fonts::{Face, Fonts};
use crate::proposal::{letterhead, project_of};

const BODY: Style = Style::new(Face::Regular, 9.5);
const SMALL: Style = Style::new(Face::Regular, 8.0);

pub(crate) fn layout(fonts: &Fonts, s: &ProposalSnapshot) -> Vec<Vec<Op>> {
    let mut c = Canvas::new(
        fonts,
        s.draft.then_some("PROJET"),
        Colour::accent(s.letterhead.accent),
    );
    for (i, school) in s.schools.iter().enumerate() {
        if i > 0 {
            c.new_page();
        }
        letterhead(&mut c, s, false);
        c.paragraph(
            MARGIN_X,
            BODY_W,
            Style::new(Face::Bold, 14.0).color(c.accent),
            "Fiche projet pédagogique",
        );
        c.paragraph(
            MARGIN_X,
            BODY_W,
            SMALL.color(MUTED),
            &format!(
                "Commune de {} · rencontre du {} · à l'attention de l'IEN de circonscription",
                s.commune.name,
                date(s.meeting_date)
            ),
        );
        c.space(4.0);
        project_of(&mut c, school);

        c.heading("Personnes présentes", 20.0);
        let people: Vec<String> = s
            .participants
            .iter()
            .map(|p| format!("{} ({})", p.name, p.role))
            .collect();
        c.paragraph(
            MARGIN_X,
            BODY_W,
            BODY,
            &if people.is_empty() {
                "non renseignées".to_string()
            } else {
                people.join(", ")
            },
        );

        c.heading("Équipements envisagés pour ce projet", 30.0);
        let mut any = false;
        for sc in &s.scenarios {
            for lines in sc.schools.iter().filter(|l| l.school == school.name) {
                any = true;
                let items: Vec<String> = lines
                    .lines
                    .iter()
                    .map(|l| {
                        let serves = if l.objectives.is_empty() {
                            String::new()
                        } else {
                            format!(" — pour : {}", l.objectives.join(" ; "))
                        };
                        format!(
                            "{} × {}{serves}",
                            integer(u64::from(l.quantity)),
                            l.designation
                        )
                    })
                    .collect();
                c.paragraph(
                    MARGIN_X,
                    BODY_W,
                    Style::new(Face::Bold, 9.0),
                    &format!(
                        "Scénario {} ({} HT)",
                        sc.label,
                        euros(lines.subtotal_ht_cents)
                    ),
                );
                c.bullets(&items, Style::new(Face::Regular, 8.5));
                c.space(3.0);
            }
        }
        if !any {
            c.paragraph(
                MARGIN_X,
                BODY_W,
                BODY,
                "Aucun équipement n'est encore proposé.",
            );
        }

        c.ensure(110.0);
        c.heading("Avis de l'IEN", 80.0);
        let top = c.y;
        c.stroke_rect(MARGIN_X, top, BODY_W, 80.0, RULE);
        c.text_at(
            MARGIN_X + 8.0,
            top + 14.0,
            SMALL.color(MUTED),
            Align::Left,
            "☐ Projet validé     ☐ Projet à retravailler",
        );
        c.text_at(
            MARGIN_X + 8.0,
            top + 72.0,
            SMALL.color(MUTED),
            Align::Left,
            "Date, nom et signature de l'IEN",
        );
        c.y = top + 86.0;
    }
    let left = format!(
        "{} · Fiche projet · {}",
        s.letterhead.organisation,
        s.reference()
    );
    c.finish(&left, &format!("Empreinte {}", s.short_hash()))
}
