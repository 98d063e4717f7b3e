//! A small page-layout layer over printpdf's operations: a cursor that flows down the
//! page, wrapped paragraphs, tables whose header repeats on every page, a watermark and
//! a footer with "Page x / y". Positions are in points from the top-left corner; the
//! conversion to PDF's bottom-left origin happens here and nowhere else.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem,
    TextMatrix,
};

use crate::fonts::{typographic, Face, Fonts};

pub(crate) const PAGE_W: f32 = 595.276;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 48.0;
const MARGIN_TOP: f32 = 46.0;
/// Room kept under the body for the footer.
const BODY_BOTTOM: f32 = PAGE_H - 62.0;
pub(crate) const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;

pub(crate) const INK: Colour = Colour(0x1f, 0x29, 0x33);
pub(crate) const MUTED: Colour = Colour(0x5f, 0x6b, 0x7a);
pub(crate) const WARN: Colour = Colour(0x9e, 0x52, 0x00);
pub(crate) const RULE: Colour = Colour(0xc5, 0xcd, 0xd8);
pub(crate) const FILL: Colour = Colour(0xe9, 0xef, 0xf6);
const STRIPE: Colour = Colour(0xf6, 0xf8, 0xfb);
const WATERMARK: Colour = Colour(0xe4, 0xe4, 0xe4);

/// An sRGB colour (printpdf's `Rgb` is not `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour(u8, u8, u8);

impl Colour {
    /// The letterhead's accent (checked by the core: dark enough to read on white).
    pub(crate) fn accent(a: preau_core::proposals::Accent) -> Self {
        Colour(a.r, a.g, a.b)
    }

    /// Euclidean distance in sRGB (0 to about 441): enough to tell two swatches apart.
    pub(crate) fn distance(self, other: Colour) -> f32 {
        let d = |a: u8, b: u8| (f32::from(a) - f32::from(b)).powi(2);
        (d(self.0, other.0) + d(self.1, other.1) + d(self.2, other.2)).sqrt()
    }

    /// `0xrrggbb`.
    pub(crate) const fn hex(rgb: u32) -> Self {
        Colour((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
    }

    fn pdf(self) -> Color {
        Color::Rgb(Rgb {
            r: f32::from(self.0) / 255.0,
            g: f32::from(self.1) / 255.0,
            b: f32::from(self.2) / 255.0,
            icc_profile: None,
        })
    }
}

pub(crate) fn font_id(face: Face) -> FontId {
    // Fixed names, not printpdf's random ones: the same snapshot must give the same bytes.
    // Six capitals: PDF readers take the name, used as the subset tag, for a subset.
    match face {
        Face::Regular => FontId("PREAUR".into()),
        Face::Bold => FontId("PREAUB".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
    Center,
}

/// A run of text style.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub face: Face,
    pub size: f32,
    pub color: Colour,
}

impl Style {
    pub const fn new(face: Face, size: f32) -> Self {
        Style {
            face,
            size,
            color: INK,
        }
    }
    pub const fn color(self, color: Colour) -> Self {
        Style { color, ..self }
    }
    pub fn leading(self) -> f32 {
        self.size * 1.32
    }
}

pub(crate) struct Column {
    pub title: &'static str,
    pub width: f32,
    pub align: Align,
}

pub(crate) struct Canvas<'f> {
    pub fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// Distance from the top of the page to the next thing drawn.
    pub y: f32,
    watermark: Option<String>,
    /// The letterhead's colour: headings, rules, table headers.
    pub accent: Colour,
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts, watermark: Option<&str>, accent: Colour) -> Self {
        let mut c = Canvas {
            fonts,
            pages: Vec::new(),
            y: MARGIN_TOP,
            watermark: watermark.map(str::to_string),
            accent,
        };
        c.new_page();
        c
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
        if let Some(mark) = self.watermark.clone() {
            self.draw_watermark(&mark);
        }
    }

    /// Starts a new page unless `height` still fits above the footer.
    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    pub fn remaining(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Draws one line of text with its baseline at `baseline` (from the top).
    pub fn text_at(&mut self, x: f32, baseline: f32, style: Style, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let w = self.fonts.width(style.face, text, style.size);
        let x = match align {
            Align::Left => x,
            Align::Right => x - w,
            Align::Center => x - w / 2.0,
        };
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFillColor {
            col: style.color.pdf(),
        });
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(font_id(style.face)),
            size: Pt(style.size),
        });
        ops.push(Op::SetTextCursor {
            pos: Point {
                x: Pt(x),
                y: Pt(PAGE_H - baseline),
            },
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.chars().map(typographic).collect())],
        });
        ops.push(Op::EndTextSection);
    }

    /// A wrapped paragraph at `x`, `width` wide, flowing onto new pages as needed.
    pub fn paragraph(&mut self, x: f32, width: f32, style: Style, text: &str) {
        let lines = self.fonts.wrap(style.face, text, style.size, width);
        for line in lines {
            self.ensure(style.leading());
            let baseline = self.y + style.size;
            self.text_at(x, baseline, style, Align::Left, &line);
            self.y += style.leading();
        }
    }

    /// Wrapped text in a block that does not flow (letterhead, signature boxes): no page
    /// break; returns the position under its last line.
    pub fn block(&mut self, x: f32, top: f32, width: f32, style: Style, text: &str) -> f32 {
        let mut y = top;
        for line in self.fonts.wrap(style.face, text, style.size, width) {
            self.text_at(x, y + style.size, style, Align::Left, &line);
            y += style.leading();
        }
        y
    }

    /// `text` cut with "…" to fit `width` (footers, which have one line).
    pub fn fit(&self, style: Style, text: &str, width: f32) -> String {
        if self.fonts.width(style.face, text, style.size) <= width {
            return text.to_string();
        }
        let mut out = String::new();
        for c in text.chars() {
            let next = format!("{out}{c}…");
            if self.fonts.width(style.face, &next, style.size) > width {
                break;
            }
            out.push(c);
        }
        format!("{}…", out.trim_end())
    }

    /// "Label : value" with a bold label, the value wrapped under the label's end.
    pub fn labelled(&mut self, label: &str, value: &str, size: f32) {
        let bold = Style::new(Face::Bold, size);
        let label_w = self.fonts.width(Face::Bold, label, size) + 4.0;
        let lines = self.fonts.wrap(
            Face::Regular,
            value,
            size,
            (BODY_W - label_w).max(BODY_W / 2.0),
        );
        for (i, line) in lines.iter().enumerate() {
            self.ensure(bold.leading());
            let baseline = self.y + size;
            if i == 0 {
                self.text_at(MARGIN_X, baseline, bold, Align::Left, label);
            }
            self.text_at(
                MARGIN_X + label_w,
                baseline,
                Style::new(Face::Regular, size),
                Align::Left,
                line,
            );
            self.y += bold.leading();
        }
    }

    pub fn bullets(&mut self, items: &[String], style: Style) {
        for item in items {
            let lines = self.fonts.wrap(style.face, item, style.size, BODY_W - 14.0);
            for (i, line) in lines.iter().enumerate() {
                self.ensure(style.leading());
                let baseline = self.y + style.size;
                if i == 0 {
                    self.text_at(MARGIN_X + 4.0, baseline, style, Align::Left, "•");
                }
                self.text_at(MARGIN_X + 14.0, baseline, style, Align::Left, line);
                self.y += style.leading();
            }
        }
    }

    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, color: Colour) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col: color.pdf() });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point {
                            x: Pt(x1),
                            y: Pt(PAGE_H - y),
                        },
                        bezier: false,
                    },
                    LinePoint {
                        p: Point {
                            x: Pt(x2),
                            y: Pt(PAGE_H - y),
                        },
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
    }

    pub fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, color: Colour) {
        let ops = self.ops();
        ops.push(Op::SetFillColor { col: color.pdf() });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Fill),
                ..Rect::from_xywh(Pt(x), Pt(PAGE_H - top - h), Pt(w), Pt(h))
            },
        });
    }

    pub fn stroke_rect(&mut self, x: f32, top: f32, w: f32, h: f32, color: Colour) {
        let ops = self.ops();
        ops.push(Op::SetOutlineColor { col: color.pdf() });
        ops.push(Op::SetOutlineThickness { pt: Pt(0.6) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Stroke),
                ..Rect::from_xywh(Pt(x), Pt(PAGE_H - top - h), Pt(w), Pt(h))
            },
        });
    }

    pub fn push_op(&mut self, op: Op) {
        self.ops().push(op);
    }

    /// A section title with a rule under it, kept with at least `keep` points of what
    /// follows.
    pub fn heading(&mut self, text: &str, keep: f32) {
        let style = Style::new(Face::Bold, 12.0).color(self.accent);
        self.ensure(26.0 + keep);
        self.space(8.0);
        self.text_at(MARGIN_X, self.y + 12.0, style, Align::Left, text);
        self.y += 16.0;
        self.rule(MARGIN_X, PAGE_W - MARGIN_X, self.y, 0.8, self.accent);
        self.y += 7.0;
    }

    pub fn subheading(&mut self, text: &str, keep: f32) {
        let style = Style::new(Face::Bold, 10.0);
        self.ensure(16.0 + keep);
        self.space(4.0);
        self.paragraph(MARGIN_X, BODY_W, style, text);
        self.space(2.0);
    }

    fn draw_watermark(&mut self, mark: &str) {
        let size = 110.0;
        let w = self.fonts.width(Face::Bold, mark, size);
        // Rotated 45° about the page centre.
        let (s, c) = (
            std::f32::consts::FRAC_1_SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2,
        );
        let cx = PAGE_W / 2.0 - (w / 2.0) * c + (size * 0.35) * s;
        let cy = PAGE_H / 2.0 - (w / 2.0) * s - (size * 0.35) * c;
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFillColor {
            col: WATERMARK.pdf(),
        });
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(font_id(Face::Bold)),
            size: Pt(size),
        });
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Raw([c, s, -s, c, cx, cy]),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(mark.to_string())],
        });
        ops.push(Op::EndTextSection);
    }

    // ---- tables -------------------------------------------------------------------

    pub fn table_header(&mut self, cols: &[Column], size: f32) {
        let style = Style::new(Face::Bold, size).color(self.accent);
        let h = size * 1.32 + 6.0;
        self.fill_rect(MARGIN_X, self.y, BODY_W, h, FILL);
        let mut x = MARGIN_X;
        for col in cols {
            let tx = match col.align {
                Align::Left => x + 3.0,
                Align::Right => x + col.width - 3.0,
                Align::Center => x + col.width / 2.0,
            };
            self.text_at(tx, self.y + 3.0 + size, style, col.align, col.title);
            x += col.width;
        }
        self.y += h;
    }

    /// One row; wrapped cells make it taller. If it does not fit, the table goes on the
    /// next page under a repeated header; a row taller than a whole page is split.
    pub fn table_row(&mut self, cols: &[Column], cells: &[(String, Style)], shaded: bool) {
        let wrapped: Vec<Vec<String>> = cols
            .iter()
            .zip(cells)
            .map(|(col, (text, style))| {
                self.fonts
                    .wrap(style.face, text, style.size, col.width - 6.0)
            })
            .collect();
        let leading = cells
            .iter()
            .map(|(_, s)| s.leading())
            .fold(0.0_f32, f32::max);
        let rows = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let mut done = 0;
        while done < rows {
            let fit = ((self.remaining() - 5.0) / leading).floor().max(0.0) as usize;
            let want = rows - done;
            if fit < want.min(3) || fit == 0 {
                // Keep short rows whole, and never leave a lone line of a long one.
                self.new_page();
                self.table_header(cols, header_size(cells));
                continue;
            }
            let n = want.min(fit);
            let h = n as f32 * leading + 5.0;
            if shaded {
                self.fill_rect(MARGIN_X, self.y, BODY_W, h, STRIPE);
            }
            let mut x = MARGIN_X;
            for ((col, lines), (_, style)) in cols.iter().zip(&wrapped).zip(cells) {
                for (i, line) in lines.iter().skip(done).take(n).enumerate() {
                    let baseline = self.y + 2.5 + style.size + i as f32 * leading;
                    let tx = match col.align {
                        Align::Left => x + 3.0,
                        Align::Right => x + col.width - 3.0,
                        Align::Center => x + col.width / 2.0,
                    };
                    self.text_at(tx, baseline, *style, col.align, line);
                }
                x += col.width;
            }
            self.y += h;
            self.rule(MARGIN_X, PAGE_W - MARGIN_X, self.y, 0.3, RULE);
            done += n;
        }
    }

    /// The pages, each with its footer: `left` text, then "Page x / y" on the right.
    pub fn finish(mut self, left: &str, middle: &str) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let style = Style::new(Face::Regular, 7.5).color(MUTED);
        let pages = std::mem::take(&mut self.pages);
        let mut out = Vec::with_capacity(total);
        for (i, ops) in pages.into_iter().enumerate() {
            self.pages = vec![ops];
            let y = PAGE_H - 40.0;
            self.rule(MARGIN_X, PAGE_W - MARGIN_X, y, 0.4, RULE);
            let middle_x = PAGE_W / 2.0 + 40.0;
            let middle_w = self.fonts.width(style.face, middle, style.size);
            let left = self.fit(style, left, middle_x - middle_w / 2.0 - MARGIN_X - 10.0);
            self.text_at(MARGIN_X, y + 12.0, style, Align::Left, &left);
            self.text_at(middle_x, y + 12.0, style, Align::Center, middle);
            self.text_at(
                PAGE_W - MARGIN_X,
                y + 12.0,
                style,
                Align::Right,
                &format!("Page {} / {total}", i + 1),
            );
            out.append(&mut self.pages);
        }
        out
    }
}

fn header_size(cells: &[(String, Style)]) -> f32 {
    cells.first().map(|(_, s)| s.size).unwrap_or(8.0)
}
