//! Turns laid-out pages into PDF bytes, deterministically.

use printpdf::{
    Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, RawImage, XObject, XObjectId,
};
use sha2::{Digest, Sha256};

use crate::canvas::font_id;
use crate::fonts::{fonts, Face};
use crate::Error;
use preau_core::proposals::ProposalSnapshot;

pub(crate) fn logo_id() -> XObjectId {
    XObjectId("Logo".into())
}

pub(crate) fn save(
    pages: Vec<Vec<Op>>,
    snapshot: &ProposalSnapshot,
    title: &str,
) -> Result<Vec<u8>, Error> {
    let f = fonts()?;
    let mut doc = PdfDocument::new(title);
    doc.resources.fonts.map.insert(
        font_id(Face::Regular),
        printpdf::PdfFont::new(f.face(Face::Regular).clone()),
    );
    doc.resources.fonts.map.insert(
        font_id(Face::Bold),
        printpdf::PdfFont::new(f.face(Face::Bold).clone()),
    );
    let uses_logo = pages
        .iter()
        .flatten()
        .any(|op| matches!(op, Op::UseXobject { id, .. } if *id == logo_id()));
    if uses_logo {
        if let Some(png) = &snapshot.letterhead.logo_png {
            let image = RawImage::decode_from_bytes(png, &mut Vec::new()).map_err(Error::Logo)?;
            doc.resources
                .xobjects
                .map
                .insert(logo_id(), XObject::Image(image));
        }
    }
    // Every SetFont names one of our two fonts; anything else would be a layout bug.
    debug_assert!(pages.iter().flatten().all(|op| match op {
        Op::SetFont {
            font: PdfFontHandle::External(id),
            ..
        } => *id == font_id(Face::Regular) || *id == font_id(Face::Bold),
        _ => true,
    }));

    let created = snapshot
        .date
        .and_hms_opt(12, 0, 0)
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0);
    let stamp = printpdf::OffsetDateTime::from_unix_timestamp(created)
        .map_err(|e| Error::Serialise(e.to_string()))?;
    let info = &mut doc.metadata.info;
    info.creation_date = stamp;
    info.modification_date = stamp;
    info.metadata_date = stamp;
    info.author = snapshot.letterhead.organisation.clone();
    info.creator = "Préau".into();
    info.producer = "Préau (printpdf)".into();
    info.subject = snapshot.object.clone();
    info.identifier = snapshot.reference();

    doc.with_pages(
        pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
            .collect(),
    );
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        // Keep the PNG logo lossless and crisp (the default re-encodes it as JPEG).
        image_optimization: Some(printpdf::ImageOptimizationOptions {
            format: Some(printpdf::ImageCompression::Flate),
            auto_optimize: Some(false),
            convert_to_greyscale: Some(false),
            dither_greyscale: Some(false),
            ..Default::default()
        }),
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    for w in &warnings {
        tracing::debug!(warning = ?w, "printpdf");
    }
    lo.compress();
    // printpdf draws the trailer's /ID at random; ours is the content's hash.
    let digest =
        Sha256::digest(serde_json::to_vec(snapshot).map_err(|e| Error::Serialise(e.to_string()))?);
    let id: Vec<u8> = digest.iter().take(16).copied().collect();
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| Error::Serialise(e.to_string()))?;
    Ok(bytes)
}
