//! The département's map, drawn from the shipped commune contours
//! (`data/reference/somme_communes_contours.geojson`, IGN ADMIN EXPRESS, 4 decimals):
//! no tile server, no network, no store. The server's « Carte » draws it as SVG, and so
//! does the app's « Communes » screen and commune sheet (issue 14, `preau_core::map`).
//!
//! How: the contours are projected to a plane (equirectangular, longitudes scaled by the
//! cosine of the middle latitude: enough for one département), cut into *arcs* — the runs
//! of boundary between two junctions (a vertex with three neighbours or more), each shared
//! by the one or two communes it separates — and each arc is simplified once
//! (Douglas–Peucker, its ends kept). Neighbours therefore keep exactly the same border: no
//! gap and no overlap appear between communes, and the EPCI borders are the arcs whose
//! two communes are in different EPCIs, plus the département's outline (the arcs with
//! one commune).
//!
//! Coordinates are integers in a fixed view box, written relative (`l`) to keep the SVG
//! small (the whole département is about 100 KB).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The shipped contours, embedded.
pub const CONTOURS: &str = include_str!("../../../data/reference/somme_communes_contours.geojson");

/// Bounds on what is read (the file is shipped, but a bigger one must fail, not stall).
const MAX_FEATURES: usize = 50_000;
const MAX_POINTS: usize = 2_000_000;

/// The map's width in view-box units; its height follows the département's shape.
pub const WIDTH: u32 = 1000;
/// The Douglas–Peucker tolerance, in view-box units (a unit is about 85 m here).
pub const TOLERANCE: f64 = 0.6;
/// Empty space around the drawing, in view-box units (for the strokes).
const MARGIN: f64 = 4.0;

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    code: String,
    nom: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

/// One commune's contour, in longitude and latitude (WGS 84).
#[derive(Debug, Clone, PartialEq)]
pub struct Contour {
    pub insee: String,
    pub name: String,
    /// Every ring of every polygon (outer rings and holes: drawn even-odd).
    pub rings: Vec<Vec<[f64; 2]>>,
}

/// Reads a GeoJSON FeatureCollection of (Multi)Polygons with `code` and `nom`
/// properties. The contours are reference data shipped with the program: a bad file is a
/// packaging error ([`Error::Embedded`]).
pub fn contours(geojson: &str) -> Result<Vec<Contour>> {
    let bad = |why: String| Error::Embedded(format!("contours: {why}"));
    let collection: Collection = serde_json::from_str(geojson).map_err(|e| bad(e.to_string()))?;
    if collection.features.len() > MAX_FEATURES {
        return Err(bad(format!("more than {MAX_FEATURES} features")));
    }
    let mut points = 0usize;
    let mut out = Vec::with_capacity(collection.features.len());
    for f in collection.features {
        let rings: Vec<Vec<[f64; 2]>> = match f.geometry {
            Geometry::Polygon(rings) => rings,
            Geometry::MultiPolygon(polygons) => polygons.into_iter().flatten().collect(),
        };
        for ring in &rings {
            points += ring.len();
            if points > MAX_POINTS {
                return Err(bad(format!("more than {MAX_POINTS} points")));
            }
            if ring.len() < 4 {
                return Err(bad(format!(
                    "{}: a ring of {} points",
                    f.properties.code,
                    ring.len()
                )));
            }
            let valid = |&[lon, lat]: &[f64; 2]| {
                lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0
            };
            if !ring.iter().all(valid) {
                return Err(bad(format!("{}: a point off the globe", f.properties.code)));
            }
        }
        out.push(Contour {
            insee: f.properties.code,
            name: f.properties.nom,
            rings,
        });
    }
    Ok(out)
}

/// A point of the plane, in view-box units (y downwards).
type Point = [f64; 2];

/// A vertex's identity, exact to a micro-degree: neighbours share their vertices.
type Key = (i64, i64);

fn key([lon, lat]: [f64; 2]) -> Key {
    ((lon * 1e6).round() as i64, (lat * 1e6).round() as i64)
}

/// The commune's shape, ready for `<path d=…>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub insee: String,
    pub name: String,
    pub d: String,
    /// The smallest box holding it, in view-box units: `[min x, min y, max x, max y]`
    /// (what a view fitted on a commune and its neighbours needs).
    pub bounds: [i32; 4],
}

/// A run of boundary between two junctions, simplified, in integer view-box units.
#[derive(Debug, Clone)]
struct Arc {
    points: Vec<(i32, i32)>,
    /// The communes (indices into `Map::communes`) it bounds: one or two.
    sides: Vec<usize>,
}

/// The drawn département.
#[derive(Debug, Clone)]
pub struct Map {
    pub width: u32,
    pub height: u32,
    /// In the contours' order.
    pub communes: Vec<Shape>,
    arcs: Vec<Arc>,
}

impl Map {
    /// The shipped département, [`WIDTH`] wide, simplified to [`TOLERANCE`].
    pub fn somme() -> Result<Map> {
        Ok(draw(&contours(CONTOURS)?, WIDTH, TOLERANCE))
    }

    /// `0 0 width height`.
    pub fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }

    /// The borders between communes `group` puts apart, and the outline of the whole:
    /// one path's `d`. With the EPCI as group: the EPCI borders.
    pub fn borders<K: PartialEq>(&self, group: impl Fn(&str) -> K) -> String {
        let mut d = String::new();
        for arc in &self.arcs {
            let apart = match arc.sides.as_slice() {
                [a, b] => match (self.communes.get(*a), self.communes.get(*b)) {
                    (Some(a), Some(b)) => group(&a.insee) != group(&b.insee),
                    _ => true,
                },
                _ => true,
            };
            if apart {
                Path::new(&mut d).line(arc.points.iter().copied());
            }
        }
        d
    }

    /// Each commune's neighbours (the communes it shares a border with), as indices into
    /// [`Map::communes`], ascending: the two sides of every shared arc. Touching at a
    /// single point is not sharing a border.
    pub fn neighbours(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); self.communes.len()];
        for arc in &self.arcs {
            if let [a, b] = arc.sides.as_slice() {
                if a != b {
                    if let Some(n) = out.get_mut(*a) {
                        n.push(*b);
                    }
                    if let Some(n) = out.get_mut(*b) {
                        n.push(*a);
                    }
                }
            }
        }
        for n in &mut out {
            n.sort_unstable();
            n.dedup();
        }
        out
    }
}

/// Projects, cuts into shared arcs, simplifies each arc once (`tolerance` in view-box
/// units) and writes each commune's path.
pub fn draw(contours: &[Contour], width: u32, tolerance: f64) -> Map {
    let project = Projection::fit(contours, width);
    // Rings without repeated vertices, closing vertex left out.
    let rings: Vec<(usize, Vec<[f64; 2]>)> = contours
        .iter()
        .enumerate()
        .flat_map(|(c, contour)| contour.rings.iter().map(move |r| (c, open_ring(r))))
        .filter(|(_, r)| r.len() >= 3)
        .collect();
    // A junction: a vertex with three neighbours or more.
    let mut neighbours: HashMap<Key, HashSet<Key>> = HashMap::new();
    for (_, ring) in &rings {
        for (i, p) in ring.iter().enumerate() {
            let next = ring[(i + 1) % ring.len()];
            neighbours.entry(key(*p)).or_default().insert(key(next));
            neighbours.entry(key(next)).or_default().insert(key(*p));
        }
    }
    let junction = |p: &[f64; 2]| neighbours.get(&key(*p)).is_some_and(|n| n.len() >= 3);

    let mut arcs: Vec<Arc> = Vec::new();
    let mut index: HashMap<Vec<Key>, usize> = HashMap::new();
    // Each commune's rings, as arcs (index, reversed).
    let mut shapes: Vec<Vec<Vec<(usize, bool)>>> = vec![Vec::new(); contours.len()];
    for (c, ring) in &rings {
        let pieces = cut(ring, junction);
        let mut drawn = Vec::with_capacity(pieces.len());
        for piece in pieces {
            let keys: Vec<Key> = piece.iter().map(|p| key(*p)).collect();
            let (canonical, reversed) = canonical(&keys);
            let at = match index.get(&canonical) {
                Some(&at) => at,
                None => {
                    let mut points: Vec<Point> = piece.iter().map(|p| project.point(*p)).collect();
                    if reversed {
                        points.reverse();
                    }
                    let kept = simplify(&points, tolerance);
                    arcs.push(Arc {
                        points: kept.iter().map(|p| round(*p)).collect(),
                        sides: Vec::new(),
                    });
                    index.insert(canonical, arcs.len() - 1);
                    arcs.len() - 1
                }
            };
            if let Some(arc) = arcs.get_mut(at) {
                if !arc.sides.contains(c) {
                    arc.sides.push(*c);
                }
            }
            drawn.push((at, reversed));
        }
        if let Some(shape) = shapes.get_mut(*c) {
            shape.push(drawn);
        }
    }
    let communes = contours
        .iter()
        .zip(&shapes)
        .map(|(contour, rings)| {
            let mut d = String::new();
            let mut bounds = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
            for ring in rings {
                for &(at, _) in ring {
                    for &(x, y) in arcs
                        .get(at)
                        .map(|a| a.points.as_slice())
                        .unwrap_or_default()
                    {
                        bounds = [
                            bounds[0].min(x),
                            bounds[1].min(y),
                            bounds[2].max(x),
                            bounds[3].max(y),
                        ];
                    }
                }
                let points = ring.iter().flat_map(|&(at, reversed)| {
                    let pts = arcs
                        .get(at)
                        .map(|a| a.points.as_slice())
                        .unwrap_or_default();
                    let mut v = pts.to_vec();
                    if reversed {
                        v.reverse();
                    }
                    v
                });
                Path::new(&mut d).ring(points);
            }
            if bounds[0] > bounds[2] {
                bounds = [0, 0, 0, 0];
            }
            Shape {
                insee: contour.insee.clone(),
                name: contour.name.clone(),
                d,
                bounds,
            }
        })
        .collect();
    Map {
        width,
        height: project.height,
        communes,
        arcs,
    }
}

/// Equirectangular: x = longitude × cos(middle latitude), y = −latitude, fitted in the
/// view box with a margin.
struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    scale: f64,
    height: u32,
}

impl Projection {
    fn fit(contours: &[Contour], width: u32) -> Projection {
        let all = contours.iter().flat_map(|c| c.rings.iter().flatten());
        let (mut lon0, mut lon1, mut lat0, mut lat1) = (180.0, -180.0, 90.0, -90.0_f64);
        for &[lon, lat] in all {
            lon0 = f64::min(lon0, lon);
            lon1 = f64::max(lon1, lon);
            lat0 = f64::min(lat0, lat);
            lat1 = f64::max(lat1, lat);
        }
        if lon0 > lon1 {
            (lon0, lon1, lat0, lat1) = (0.0, 1.0, 0.0, 1.0);
        }
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos();
        let span = ((lon1 - lon0) * kx).max(1e-9);
        let scale = (f64::from(width) - 2.0 * MARGIN) / span;
        let height = ((lat1 - lat0) * scale + 2.0 * MARGIN).ceil() as u32;
        Projection {
            lon0,
            lat1,
            kx,
            scale,
            height,
        }
    }

    fn point(&self, [lon, lat]: [f64; 2]) -> Point {
        [
            MARGIN + (lon - self.lon0) * self.kx * self.scale,
            MARGIN + (self.lat1 - lat) * self.scale,
        ]
    }
}

fn round([x, y]: Point) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

/// The ring without consecutive repeats nor its closing vertex.
fn open_ring(ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.len());
    for p in ring {
        if out.last().is_none_or(|q| key(*q) != key(*p)) {
            out.push(*p);
        }
    }
    while out.len() > 1 && out.first().map(|p| key(*p)) == out.last().map(|p| key(*p)) {
        out.pop();
    }
    out
}

/// Cuts an open ring at its junctions into pieces that share their ends (each piece
/// runs from one junction to the next, both included). A ring without a junction is one
/// closed piece starting and ending at its smallest vertex (so that its two sides, if
/// another ring has it too, cut it the same way).
fn cut(ring: &[[f64; 2]], junction: impl Fn(&[f64; 2]) -> bool) -> Vec<Vec<[f64; 2]>> {
    let n = ring.len();
    let start = match (0..n).find(|&i| junction(&ring[i])) {
        Some(i) => i,
        None => {
            let i = (0..n).min_by_key(|&i| key(ring[i])).unwrap_or(0);
            let mut piece: Vec<[f64; 2]> = (0..=n).map(|k| ring[(i + k) % n]).collect();
            // The same direction whichever side reads it.
            let (second, before_last) = (key(piece[1]), key(piece[n - 1]));
            if second > before_last {
                piece.reverse();
            }
            return vec![piece];
        }
    };
    let mut pieces = Vec::new();
    let mut piece = vec![ring[start]];
    for k in 1..=n {
        let p = ring[(start + k) % n];
        piece.push(p);
        if k == n || junction(&p) {
            pieces.push(std::mem::replace(&mut piece, vec![p]));
        }
    }
    pieces
}

/// A piece's keys in a direction both its sides agree on, and whether that reverses it.
fn canonical(keys: &[Key]) -> (Vec<Key>, bool) {
    let reversed: Vec<Key> = keys.iter().rev().copied().collect();
    if reversed.as_slice() < keys {
        (reversed, true)
    } else {
        (keys.to_vec(), false)
    }
}

/// Douglas–Peucker: the points of the polyline kept so that every dropped point lies
/// within `tolerance` of the result. The ends are kept, and so is the point farthest from
/// the chord even when close to it (a two-point arc between two junctions would flatten a
/// small commune to a line).
pub fn simplify(points: &[Point], tolerance: f64) -> Vec<Point> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1, true)];
    while let Some((a, b, forced)) = stack.pop() {
        let far = (a + 1..b)
            .map(|i| (i, distance(points[i], points[a], points[b])))
            .fold(None, |best: Option<(usize, f64)>, (i, d)| match best {
                Some((_, bd)) if bd >= d => best,
                _ => Some((i, d)),
            });
        if let Some((i, d)) = far {
            if forced || d > tolerance {
                keep[i] = true;
                stack.push((a, i, false));
                stack.push((i, b, false));
            }
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// From `p` to the segment `a`–`b`.
fn distance(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - x).powi(2) + (p[1] - y).powi(2)).sqrt()
}

/// The points without repeats nor spikes (A B A → A): rounding to whole units folds a
/// narrow strip onto itself, which would draw a border twice.
fn despike(points: impl IntoIterator<Item = (i32, i32)>) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::new();
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 && out[out.len() - 2] == p {
            out.pop();
            continue;
        }
        out.push(p);
    }
    out
}

/// Writes SVG path data: an absolute move, then relative lines, numbers separated by a
/// space only where a minus sign does not already separate them.
struct Path<'a> {
    d: &'a mut String,
}

impl<'a> Path<'a> {
    fn new(d: &'a mut String) -> Path<'a> {
        Path { d }
    }

    fn number(&mut self, n: i32, first: bool) {
        use std::fmt::Write;
        if !first && n >= 0 {
            self.d.push(' ');
        }
        let _ = write!(self.d, "{n}");
    }

    /// An open polyline; returns how many distinct points it wrote.
    fn line(&mut self, points: impl IntoIterator<Item = (i32, i32)>) -> usize {
        let mut last: Option<(i32, i32)> = None;
        let mut count = 0;
        for p in despike(points) {
            match last {
                None => {
                    self.d.push('M');
                    self.number(p.0, true);
                    self.number(p.1, false);
                }
                Some(q) if q == p => continue,
                Some(q) => {
                    if count == 1 {
                        self.d.push('l');
                        self.number(p.0 - q.0, true);
                    } else {
                        self.number(p.0 - q.0, false);
                    }
                    self.number(p.1 - q.1, false);
                }
            }
            last = Some(p);
            count += 1;
        }
        count
    }

    /// A closed ring (its closing point may be repeated or not).
    fn ring(&mut self, points: impl IntoIterator<Item = (i32, i32)>) {
        let mut points = despike(points);
        while points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        // The same across the closing point.
        while points.len() >= 3 && points.get(1) == points.last() {
            points.remove(0);
            points.pop();
        }
        if points.len() >= 3 {
            self.line(points);
            self.d.push('z');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads back the path data written above: its rings (or lines) as absolute points.
    fn parse(d: &str) -> Vec<Vec<(i32, i32)>> {
        let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
        let mut numbers = Vec::new();
        let mut token = String::new();
        let flush = |token: &mut String, numbers: &mut Vec<i32>| {
            if !token.is_empty() {
                numbers.push(token.parse::<i32>().expect("a number"));
                token.clear();
            }
        };
        let mut command = ' ';
        let mut segments: Vec<(char, Vec<i32>)> = Vec::new();
        for ch in d.chars() {
            match ch {
                'M' | 'l' | 'z' => {
                    flush(&mut token, &mut numbers);
                    if command != ' ' {
                        segments.push((command, std::mem::take(&mut numbers)));
                    }
                    command = ch;
                }
                '-' => {
                    flush(&mut token, &mut numbers);
                    token.push(ch);
                }
                ' ' => flush(&mut token, &mut numbers),
                _ => token.push(ch),
            }
        }
        flush(&mut token, &mut numbers);
        segments.push((command, numbers));
        for (command, numbers) in segments {
            match command {
                'M' => out.push(vec![(numbers[0], numbers[1])]),
                'l' => {
                    let current = out.last_mut().expect("a move first");
                    for pair in numbers.chunks(2) {
                        let (x, y) = *current.last().expect("a point");
                        current.push((x + pair[0], y + pair[1]));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn somme() -> Map {
        Map::somme().expect("the shipped contours")
    }

    #[test]
    fn every_commune_of_the_list_has_a_path_inside_the_view_box() {
        let map = somme();
        let drawn: HashMap<&str, &Shape> =
            map.communes.iter().map(|s| (s.insee.as_str(), s)).collect();
        for code in crate::communes::codes().expect("communes") {
            let shape = drawn
                .get(code.as_str())
                .expect("a contour for each commune");
            let rings = parse(&shape.d);
            assert!(!rings.is_empty(), "{code}: no ring");
            for ring in rings {
                let distinct: HashSet<_> = ring.iter().collect();
                assert!(distinct.len() >= 3, "{code}: a flat ring {ring:?}");
                for (x, y) in ring {
                    assert!((0..=1000).contains(&x) && y >= 0 && y <= map.height as i32);
                }
            }
        }
        assert_eq!(map.communes.len(), 771);
        assert_eq!(map.view_box(), format!("0 0 1000 {}", map.height));
        assert!((600..750).contains(&map.height), "{}", map.height);
    }

    #[test]
    fn north_is_up_and_east_is_right() {
        let map = somme();
        let centre = |code: &str| {
            let s = map
                .communes
                .iter()
                .find(|s| s.insee == code)
                .expect("commune");
            let pts: Vec<(i32, i32)> = parse(&s.d).concat();
            let n = pts.len() as i32;
            (
                pts.iter().map(|p| p.0).sum::<i32>() / n,
                pts.iter().map(|p| p.1).sum::<i32>() / n,
            )
        };
        // Abbeville is north-west of Amiens, Péronne east.
        let (abbeville, amiens, peronne) = (centre("80001"), centre("80021"), centre("80620"));
        assert!(abbeville.0 < amiens.0 && abbeville.1 < amiens.1);
        assert!(peronne.0 > amiens.0);
    }

    #[test]
    fn the_whole_map_is_small() {
        let map = somme();
        let paths: usize = map.communes.iter().map(|s| s.d.len()).sum();
        let borders = map.borders(|insee| insee.to_string()).len();
        eprintln!("{paths} + {borders} bytes");
        assert!(paths + borders <= 150_000, "{paths} + {borders} bytes");
    }

    /// Undirected segments of the drawn communes, with how many communes draw each.
    type Segment = ((i32, i32), (i32, i32));

    fn segments(map: &Map) -> HashMap<Segment, usize> {
        let mut count = HashMap::new();
        for s in &map.communes {
            for ring in parse(&s.d) {
                for (i, a) in ring.iter().enumerate() {
                    let b = ring[(i + 1) % ring.len()];
                    let k = if *a < b { (*a, b) } else { (b, *a) };
                    *count.entry(k).or_insert(0) += 1;
                }
            }
        }
        count
    }

    #[test]
    fn neighbours_keep_the_same_border_and_the_outline_is_the_single_edges() {
        let map = somme();
        let count = segments(&map);
        let three: Vec<_> = count.iter().filter(|(_, n)| **n > 2).collect();
        assert!(three.is_empty(), "drawn by three communes: {three:?}");
        // The outline: the borders with one group for all.
        let outline: HashSet<Segment> = parse(&map.borders(|_| ()))
            .into_iter()
            .flat_map(|line| {
                line.windows(2)
                    .map(|w| {
                        if w[0] < w[1] {
                            (w[0], w[1])
                        } else {
                            (w[1], w[0])
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let single: HashSet<_> = count
            .iter()
            .filter(|(_, n)| **n == 1)
            .map(|(k, _)| *k)
            .collect();
        let only_single: Vec<_> = single.difference(&outline).collect();
        let only_outline: Vec<_> = outline.difference(&single).collect();
        // No gap: an edge only one commune draws is on the outline. The outline may keep a
        // needle a commune's ring drops where rounding folds it across two arcs.
        assert!(
            only_single.is_empty() && only_outline.len() * 200 <= outline.len(),
            "single {} outline {}: {only_single:?} {only_outline:?}",
            single.len(),
            outline.len()
        );
    }

    #[test]
    fn epci_borders_are_between_the_outline_and_every_border() {
        let map = somme();
        let epci: HashMap<String, Option<String>> = crate::communes::all()
            .expect("communes")
            .into_iter()
            .map(|c| (c.insee, c.epci))
            .collect();
        let outline = map.borders(|_| ()).len();
        let epcis = map
            .borders(|insee| epci.get(insee).cloned().flatten())
            .len();
        let all = map.borders(|insee| insee.to_string()).len();
        assert!(outline < epcis && epcis < all, "{outline} {epcis} {all}");
    }

    #[test]
    fn neighbours_share_a_border_both_ways_and_boxes_hold_the_paths() {
        let map = somme();
        let neighbours = map.neighbours();
        let index: HashMap<&str, usize> = map
            .communes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.insee.as_str(), i))
            .collect();
        let drawn = segments(&map);
        for (i, around) in neighbours.iter().enumerate() {
            assert!(!around.contains(&i));
            for &j in around {
                assert!(neighbours[j].contains(&i), "{i} {j} one way only");
            }
        }
        // Every segment two communes draw is between neighbours.
        let mut owners: HashMap<Segment, Vec<usize>> = HashMap::new();
        for (i, s) in map.communes.iter().enumerate() {
            for ring in parse(&s.d) {
                for (k, a) in ring.iter().enumerate() {
                    let b = ring[(k + 1) % ring.len()];
                    owners
                        .entry(if *a < b { (*a, b) } else { (b, *a) })
                        .or_default()
                        .push(i);
                }
            }
        }
        for (segment, sides) in &owners {
            if let [a, b] = sides.as_slice() {
                assert_eq!(drawn[segment], 2);
                assert!(
                    a == b || neighbours[*a].contains(b),
                    "{} and {} draw {segment:?}",
                    map.communes[*a].insee,
                    map.communes[*b].insee
                );
            }
        }
        // Every commune has one (the Somme has no enclave cut off from the rest).
        assert!(neighbours.iter().all(|n| !n.is_empty()));
        // Amiens and Dury, Péronne and Doingt are neighbours; Amiens and Péronne are not.
        let near = |a: &str, b: &str| neighbours[index[a]].contains(&index[b]);
        assert!(near("80021", "80261") && near("80620", "80240"));
        assert!(!near("80021", "80620"));
        for s in &map.communes {
            let [x0, y0, x1, y1] = s.bounds;
            assert!(x0 < x1 && y0 < y1, "{}", s.insee);
            for ring in parse(&s.d) {
                for (x, y) in ring {
                    assert!(
                        (x0..=x1).contains(&x) && (y0..=y1).contains(&y),
                        "{}",
                        s.insee
                    );
                }
            }
        }
    }

    #[test]
    fn bad_contours_are_refused() {
        for bad in [
            "",
            "{}",
            r#"{"features":[{"properties":{"code":"1","nom":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#,
            r#"{"features":[{"properties":{"code":"1","nom":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}]}"#,
            r#"{"features":[{"properties":{"code":"1","nom":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,91],[0,0]]]}}]}"#,
        ] {
            assert!(matches!(contours(bad), Err(Error::Embedded(_))), "{bad}");
        }
        let square = r#"{"features":[{"properties":{"code":"1","nom":"x"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}"#;
        let map = draw(&contours(square).expect("a square"), 100, 0.5);
        assert_eq!(map.communes[0].d, "M4 96l0-92 92 0 0 92z");
    }

    #[test]
    fn simplify_drops_what_is_in_line_and_keeps_a_spike() {
        let line: Vec<Point> = (0..10).map(|i| [f64::from(i), 0.0]).collect();
        // The farthest point is always kept (here the first of equals).
        assert_eq!(simplify(&line, 0.5).len(), 3);
        let mut spike = line.clone();
        spike[7] = [7.0, 5.0];
        assert!(simplify(&spike, 0.5).contains(&[7.0, 5.0]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Every dropped point lies within the tolerance of the kept polyline, whose ends
        /// are the original ends.
        #[test]
        fn simplified_lines_stay_within_the_tolerance(
            raw in prop::collection::vec((-100.0..100.0f64, -100.0..100.0f64), 2..60),
            tolerance in 0.0..20.0f64,
        ) {
            let points: Vec<Point> = raw.iter().map(|&(x, y)| [x, y]).collect();
            let kept = simplify(&points, tolerance);
            prop_assert_eq!(kept.first(), points.first());
            prop_assert_eq!(kept.last(), points.last());
            for p in &points {
                let nearest = kept
                    .windows(2)
                    .map(|w| distance(*p, w[0], w[1]))
                    .fold(f64::INFINITY, f64::min);
                prop_assert!(nearest <= tolerance + 1e-9, "{:?} at {}", p, nearest);
            }
        }
    }
}
