//! Référentiel: upload a catalogue, funding rules or the national schools directory, see
//! what would change for the laptops, publish — with the same [`reference::prepare`] and
//! [`reference::publish`] as `preau-server import` (admins only).

use std::time::Instant;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use preau_reference::catalogue::CatalogueItem;
use preau_reference::directory::DirectorySchool;
use preau_reference::format::percent;
use serde::Deserialize;

use super::WebError;
use crate::error::Error;
use crate::reference::{self, Changes, Comparison, Preview, ReferenceKind};
use crate::staff::{Action, AuditEntry};
use crate::web::html::{euros, integer, page};
use crate::web::session::{check_csrf, check_origin, Posted, Staff};
use crate::web::uploads::Upload;
use crate::web::{Page, WebState, PREFIX};

/// Rows listed per kind of change for the directory (its counts are given in full).
const SCHOOL_SAMPLE: usize = 10;
/// Rows listed per kind of change for a catalogue or funding rules.
const LISTED: usize = 500;
/// The largest multipart body: the largest file and its form fields.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024 + 64 * 1024;

fn action() -> String {
    format!("{PREFIX}/referentiel")
}

/// The versions laptops receive now, and the upload form; `top` above them (a result).
async fn main_page(
    state: &WebState,
    staff: &Staff,
    top: Option<Markup>,
) -> Result<Markup, WebError> {
    let versions = state.storage.reference_versions().await?;
    let version_of = |kind: ReferenceKind| {
        versions
            .iter()
            .find(|v| v.kind == kind.as_str())
            .map(|v| v.version)
    };
    let body = html! {
        @if let Some(top) = top { (top) }
        table {
            caption { "Versions que reçoivent les postes" }
            thead { tr { th scope="col" { "Référentiel" } th scope="col" class="num" { "Version publiée" } } }
            tbody {
                @for kind in ReferenceKind::ALL {
                    tr {
                        td { (kind.label()) }
                        td class="num" data-figure=(format!("version-{kind}")) {
                            @if let Some(v) = version_of(kind) { (v) } @else { "aucune" }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Déposer un fichier" }
            p class="notice" { "Le fichier est vérifié comme le font les postes, puis comparé à la version publiée. "
                "Rien n’est publié avant « Publier »." }
            form class="inline" method="post" action=(action()) enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(staff.csrf());
                label { "Type de fichier"
                    select name="kind" required {
                        option value="catalogue" { "Catalogue (CSV)" }
                        option value="funding" { "Règles de financement (JSON)" }
                        option value="schools" { "Annuaire national des écoles (CSV)" }
                    }
                }
                label { "Fichier" input type="file" name="file" required accept=".csv,.json,text/csv,application/json"; }
                button type="submit" { "Voir les changements" }
            }
        }
    };
    Ok(page(staff, Page::Reference, "Référentiel", body))
}

pub async fn show(State(state): State<WebState>, staff: Staff) -> Result<Markup, WebError> {
    staff.may(Page::Reference)?;
    main_page(&state, &staff, None).await
}

/// A refusal in French above the form, with its status; nothing is kept or published.
async fn refused(
    state: &WebState,
    staff: &Staff,
    status: StatusCode,
    title: &str,
    detail: Option<&str>,
) -> Result<Response, WebError> {
    let top = html! {
        section role="alert" {
            h2 class="error" { (title) }
            @if let Some(detail) = detail { p class="lines" { (detail) } }
            p { "Rien n’a été publié." }
        }
    };
    Ok((status, main_page(state, staff, Some(top)).await?).into_response())
}

/// The form's fields, read with the file bounded by [`ReferenceKind::max_bytes`].
#[derive(Default)]
struct Uploaded {
    csrf: String,
    kind: String,
    file_name: String,
    file: Vec<u8>,
    too_large: bool,
}

async fn read_form(mut multipart: Multipart) -> Result<Uploaded, WebError> {
    let mut form = Uploaded::default();
    let largest = ReferenceKind::ALL
        .into_iter()
        .map(ReferenceKind::max_bytes)
        .max()
        .unwrap_or(0);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // Past the body limit (413) or a malformed body.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                form.too_large = true;
                return Ok(form);
            }
            Err(_) => return Err(WebError::BadForm),
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "csrf" | "kind" => {
                let value = field.text().await.map_err(|_| WebError::BadForm)?;
                if value.len() > 128 {
                    return Err(WebError::BadForm);
                }
                if name == "csrf" {
                    form.csrf = value;
                } else {
                    form.kind = value;
                }
            }
            "file" => {
                form.file_name = field
                    .file_name()
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if form.file.len() + chunk.len() > largest {
                                form.too_large = true;
                                return Ok(form);
                            }
                            form.file.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            form.too_large = true;
                            return Ok(form);
                        }
                        Err(_) => return Err(WebError::BadForm),
                    }
                }
            }
            _ => return Err(WebError::BadForm),
        }
    }
    Ok(form)
}

/// The uploaded file checked and compared with what is published; kept for « Publier ».
pub async fn upload(
    State(state): State<WebState>,
    staff: Staff,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    staff.may(Page::Reference)?;
    check_origin(&headers)?;
    // Not a multipart body: refused as any unreadable form is.
    let form = read_form(multipart.map_err(|_| WebError::BadForm)?).await?;
    check_csrf(&headers, &form.csrf)?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(kind) = ReferenceKind::parse(&form.kind) else {
        return refused(
            &state,
            &staff,
            unprocessable,
            "Choisissez le type du fichier.",
            None,
        )
        .await;
    };
    if form.too_large || form.file.len() > kind.max_bytes() {
        let limit = format!(
            "Un fichier de ce type fait au plus {} Mo.",
            kind.max_bytes() / (1024 * 1024)
        );
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        return refused(
            &state,
            &staff,
            status,
            "Fichier trop volumineux.",
            Some(&limit),
        )
        .await;
    }
    if form.file.is_empty() {
        return refused(
            &state,
            &staff,
            unprocessable,
            "Choisissez un fichier.",
            None,
        )
        .await;
    }
    let published = state.storage.reference(kind.as_str()).await?;
    let file = form.file;
    // Parsing a 40 MB directory takes a while: off the async threads.
    let checked = tokio::task::spawn_blocking(move || {
        reference::prepare(kind, &file).map(|prepared| {
            let preview =
                reference::compare(&prepared, published.as_ref().map(|(v, c)| (*v, c.as_str())));
            (prepared, preview)
        })
    })
    .await
    .map_err(Error::from)?;
    let (prepared, preview) = match checked {
        Ok(done) => done,
        Err(Error::Reference(message)) => {
            let title = format!("Ce fichier n’est pas un {} valide.", kind_noun(kind));
            return refused(&state, &staff, unprocessable, &title, Some(&message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    let entries = prepared.entries;
    let upload = Upload {
        prepared,
        base_version: preview.published,
        file_name: form.file_name,
    };
    let file_name = upload.file_name.clone();
    let id = state.uploads.keep(staff.token(), upload, Instant::now())?;
    let body = html! {
        section role="status" {
            h2 { "Aperçu : " (kind.label()) }
            p { "Fichier « " (file_name) " » : " (integer(entries as u64)) " " (entries_noun(kind)) ". "
                @if let Some(v) = preview.published { "Version publiée aujourd’hui : " (v) "." }
                @else { "Rien n’est publié aujourd’hui." }
            }
            @if preview.published_unreadable {
                p class="error" { "La version publiée n’a pas pu être relue : tout apparaît comme ajouté." }
            }
        }
        (comparison(&preview))
        section {
            h2 { "Publier ce fichier ?" }
            p { "Les postes recevront la nouvelle version à leur prochaine synchronisation." }
            form class="inline" method="post" action=(format!("{PREFIX}/referentiel/publication")) {
                input type="hidden" name="csrf" value=(staff.csrf());
                input type="hidden" name="upload" value=(id);
                button type="submit" { "Publier" }
                a href=(action()) { "Annuler" }
            }
        }
    };
    Ok(page(&staff, Page::Reference, "Référentiel : aperçu", body).into_response())
}

fn kind_noun(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Catalogue => "catalogue",
        ReferenceKind::Funding => "fichier de règles de financement",
        ReferenceKind::Schools => "annuaire des écoles",
    }
}

fn entries_noun(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Catalogue => "articles",
        ReferenceKind::Funding => "programmes",
        ReferenceKind::Schools => "écoles du département",
    }
}

/// "0 article", "1 article", "2 articles" (French: the singular up to one).
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", integer(n as u64), if n <= 1 { one } else { many })
}

/// The counts of a comparison, nouns and adjectives agreed: `words` are the singular and
/// plural of "added", "changed", "removed" with the noun (`["article ajouté", "articles
/// ajoutés"], …`).
fn counts<T>(c: &Changes<T>, words: [[&str; 2]; 3]) -> Markup {
    let [added, changed, removed] = words;
    let item = |figure: &str, n: usize, [one, many]: [&str; 2]| {
        let text = count(n, one, many);
        let (number, rest) = text.split_once(' ').unwrap_or((&text, ""));
        html! { li { span data-figure=(figure) { (number) } " " (rest) } }
    };
    html! {
        ul class="counts" {
            (item("ajoutes", c.added.len(), added))
            (item("modifies", c.changed.len(), changed))
            (item("retires", c.removed.len(), removed))
        }
    }
}

const ITEMS: [[&str; 2]; 3] = [
    ["article ajouté", "articles ajoutés"],
    ["article modifié", "articles modifiés"],
    ["article retiré", "articles retirés"],
];
const PROGRAMMES: [[&str; 2]; 3] = [
    ["programme ajouté", "programmes ajoutés"],
    ["programme modifié", "programmes modifiés"],
    ["programme retiré", "programmes retirés"],
];
const SCHOOLS: [[&str; 2]; 3] = [
    ["école ajoutée", "écoles ajoutées"],
    ["école modifiée", "écoles modifiées"],
    ["école retirée", "écoles retirées"],
];

fn comparison(preview: &Preview) -> Markup {
    match &preview.comparison {
        Comparison::Catalogue(c) => catalogue_changes(c),
        Comparison::Funding {
            programmes,
            not_computed,
            settings,
        } => html! {
            section {
                h2 { "Ce qui change" }
                (counts(programmes, PROGRAMMES))
                @if programmes.is_empty() && not_computed.is_empty() && settings.is_empty() {
                    p { "Ce fichier ne change rien aux règles publiées." }
                }
            }
            @if !settings.is_empty() {
                table {
                    caption { "Réglages" }
                    thead { tr { th scope="col" { "Réglage" } th scope="col" { "Avant" } th scope="col" { "Après" } } }
                    tbody { @for (label, before, after) in settings { tr { td { (label) } td { (before) } td { (after) } } } }
                }
            }
            (programme_table("Programmes ajoutés", programmes.added.iter().map(|p| (p, None))))
            (programme_table("Programmes modifiés", programmes.changed.iter().map(|(o, n)| (n, Some(o)))))
            (programme_table("Programmes retirés", programmes.removed.iter().map(|p| (p, None))))
            @for (title, list) in [("Programmes non calculés ajoutés", &not_computed.added),
                                   ("Programmes non calculés retirés", &not_computed.removed)] {
                @if !list.is_empty() {
                    h2 { (title) }
                    ul { @for p in list { li { (p.name) " (" (p.id) ") : " (p.reason) } } }
                }
            }
            @if !not_computed.changed.is_empty() {
                h2 { "Programmes non calculés modifiés" }
                ul { @for (_, p) in &not_computed.changed { li { (p.name) " (" (p.id) ") : " (p.reason) } } }
            }
        },
        Comparison::Schools(c) => html! {
            section {
                h2 { "Ce qui change" }
                (counts(c, SCHOOLS))
                @if c.is_empty() { p { "Ce fichier ne change rien à l’annuaire publié." } }
            }
            (school_table("Écoles ajoutées", c.added.iter().map(|s| (s, None))))
            (school_table("Écoles modifiées", c.changed.iter().map(|(o, n)| (n, Some(reference::school_fields_changed(o, n).join(", "))))))
            (school_table("Écoles retirées", c.removed.iter().map(|s| (s, None))))
        },
    }
}

fn catalogue_changes(c: &Changes<CatalogueItem>) -> Markup {
    let prices: Vec<&(CatalogueItem, CatalogueItem)> = c
        .changed
        .iter()
        .filter(|(o, n)| o.unit_price_cents != n.unit_price_cents)
        .collect();
    let more = |n: usize| (n > LISTED).then(|| format!("… et {} autres", n - LISTED));
    html! {
        section {
            h2 { "Ce qui change" }
            (counts(c, ITEMS))
            p { span data-figure="prix" { (prices.len()) } " "
                (if prices.len() <= 1 { "changement de prix" } else { "changements de prix" }) }
            @if c.is_empty() { p { "Ce fichier ne change rien au catalogue publié." } }
        }
        @if !prices.is_empty() {
            div class="scroll" { table {
                caption { "Changements de prix (HT)" }
                thead { tr { th scope="col" { "Référence" } th scope="col" { "Désignation" }
                    th scope="col" class="num" { "Ancien prix" } th scope="col" class="num" { "Nouveau prix" }
                    th scope="col" class="num" { "Écart" } } }
                tbody {
                    @for (o, n) in prices.iter().take(LISTED).map(|p| (&p.0, &p.1)) {
                        tr {
                            td { (n.reference) } td { (n.designation) }
                            td class="num" { (euros(o.unit_price_cents)) }
                            td class="num" { (euros(n.unit_price_cents)) }
                            td class="num" { (signed_euros(n.unit_price_cents - o.unit_price_cents)) }
                        }
                    }
                }
            } }
            @if let Some(m) = more(prices.len()) { p class="notice" { (m) } }
        }
        (item_table("Articles ajoutés", c.added.iter().map(|i| (i, None))))
        (item_table("Articles modifiés", c.changed.iter().map(|(o, n)| (n, Some(reference::item_fields_changed(o, n).join(", "))))))
        (item_table("Articles retirés", c.removed.iter().map(|i| (i, None))))
    }
}

/// "+12,00 €", "−3,50 €".
fn signed_euros(cents: i64) -> String {
    if cents > 0 {
        format!("+{}", euros(cents))
    } else {
        euros(cents)
    }
}

fn item_table<'a>(
    title: &str,
    rows: impl ExactSizeIterator<Item = (&'a CatalogueItem, Option<String>)>,
) -> Markup {
    let n = rows.len();
    if n == 0 {
        return html! {};
    }
    let rows: Vec<_> = rows.take(LISTED).collect();
    let what = rows.iter().any(|(_, w)| w.is_some());
    html! {
        div class="scroll" { table {
            caption { (title) " (" (n) ")" }
            thead { tr { th scope="col" { "Référence" } th scope="col" { "Désignation" }
                th scope="col" { "Lot" } th scope="col" class="num" { "Prix HT" }
                @if what { th scope="col" { "Ce qui change" } } } }
            tbody {
                @for (i, w) in &rows {
                    tr {
                        td { (i.reference) } td { (i.designation) }
                        td { (i.lot.as_deref().unwrap_or("—")) }
                        td class="num" { (euros(i.unit_price_cents)) }
                        @if what { td { (w.as_deref().unwrap_or("")) } }
                    }
                }
            }
        } }
        @if n > LISTED { p class="notice" { "… et " (n - LISTED) " autres" } }
    }
}

fn programme_table<'a>(
    title: &str,
    rows: impl ExactSizeIterator<
        Item = (
            &'a preau_reference::funding::Programme,
            Option<&'a preau_reference::funding::Programme>,
        ),
    >,
) -> Markup {
    if rows.len() == 0 {
        return html! {};
    }
    let rows: Vec<_> = rows.collect();
    let before = rows.iter().any(|(_, o)| o.is_some());
    html! {
        table {
            caption { (title) }
            thead { tr { th scope="col" { "Programme" } th scope="col" { "Identifiant" }
                @if before { th scope="col" class="num" { "Taux avant" } }
                th scope="col" class="num" { "Taux" } } }
            tbody {
                @for (p, o) in &rows {
                    tr {
                        td { (p.name) } td { (p.id) }
                        @if before { td class="num" { (o.map(|o| percent(o.rate_ppm)).unwrap_or_default()) } }
                        td class="num" { (percent(p.rate_ppm)) }
                    }
                }
            }
        }
    }
}

fn school_table<'a>(
    title: &str,
    rows: impl ExactSizeIterator<Item = (&'a DirectorySchool, Option<String>)>,
) -> Markup {
    let n = rows.len();
    if n == 0 {
        return html! {};
    }
    let rows: Vec<_> = rows.take(SCHOOL_SAMPLE).collect();
    let what = rows.iter().any(|(_, w)| w.is_some());
    html! {
        table {
            caption { (title) " : " (n) @if n > SCHOOL_SAMPLE { ", dont les " (SCHOOL_SAMPLE) " premières" } }
            thead { tr { th scope="col" { "UAI" } th scope="col" { "Nom" } th scope="col" { "Commune (INSEE)" }
                @if what { th scope="col" { "Ce qui change" } } } }
            tbody {
                @for (s, w) in &rows {
                    tr {
                        td { (s.uai) } td { (s.name) } td { (s.commune_insee) }
                        @if what { td { (w.as_deref().unwrap_or("")) } }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    upload: String,
}

/// « Publier »: the file kept at the preview, published as the CLI publishes it, logged.
pub async fn publish(
    State(state): State<WebState>,
    staff: Staff,
    posted: Posted<PublishForm>,
) -> Result<Response, WebError> {
    staff.may(Page::Reference)?;
    let id = posted.form.upload;
    let now = Instant::now();
    let Some(upload) = state.uploads.take(staff.token(), &id, now) else {
        return refused(
            &state,
            &staff,
            StatusCode::GONE,
            "Cet aperçu n’est plus disponible.",
            Some(
                "Il a déjà été publié, ou date de plus d’une heure : déposez le fichier à nouveau.",
            ),
        )
        .await;
    };
    let kind = upload.prepared.kind;
    let storage = state.storage.as_ref();
    let now_published = storage
        .reference_versions()
        .await?
        .into_iter()
        .find(|v| v.kind == kind.as_str())
        .map(|v| v.version);
    if now_published != upload.base_version {
        return refused(
            &state,
            &staff,
            StatusCode::CONFLICT,
            "Une autre version a été publiée depuis l’aperçu.",
            Some("L’aperçu ne montre plus ce qui changerait : déposez le fichier à nouveau."),
        )
        .await;
    }
    let published = match reference::publish(storage, &upload.prepared).await {
        Ok(p) => p,
        Err(e) => {
            state.uploads.put_back(staff.token(), &id, upload, now);
            return Err(e.into());
        }
    };
    let detail = format!(
        "{kind} version {} ({} entrées, fichier « {} »)",
        published.version, published.entries, upload.file_name
    );
    storage
        .record_audit(
            &AuditEntry::new(Some(&staff.user.email), Action::ReferencePublished, detail)
                .from(posted.client),
        )
        .await?;
    let top = html! {
        section role="status" {
            h2 { "Version " (published.version) " publiée : " (kind.label()) }
            p { (integer(published.entries as u64)) " " (entries_noun(kind))
                ". Les postes la recevront à leur prochaine synchronisation." }
        }
    };
    Ok(main_page(&state, &staff, Some(top)).await?.into_response())
}
