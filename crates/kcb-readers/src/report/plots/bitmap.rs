//! PNG copies of the plots: plotters' bitmap backend draws the shapes, and this wrapper draws
//! the text with ab_glyph from a TrueType font found on the machine (plotters' own text path
//! needs system font libraries, which the harness does without).

use std::path::{Path, PathBuf};

use ab_glyph::{point, Font, FontVec, OutlinedGlyph, PxScale, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// Fonts tried, in order, after `KCB_FONT`.
const FONT_CANDIDATES: [&str; 8] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// A TrueType font for the text of PNG plots.
pub struct PngFont {
    font: FontVec,
    /// Where it was read from.
    pub path: PathBuf,
}

impl std::fmt::Debug for PngFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PngFont").field("path", &self.path).finish()
    }
}

impl PngFont {
    /// Read the font at `path`.
    pub fn load(path: &Path) -> Result<PngFont, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let font = FontVec::try_from_vec(bytes)
            .map_err(|_| format!("{}: not a TrueType or OpenType font", path.display()))?;
        Ok(PngFont {
            font,
            path: path.to_path_buf(),
        })
    }

    /// The font named by `KCB_FONT`, else the first of a few common sans-serif fonts, else
    /// the first `*.ttf` under /usr/share/fonts; an error saying so when there is none.
    pub fn find() -> Result<PngFont, String> {
        if let Some(path) = std::env::var_os("KCB_FONT").filter(|p| !p.is_empty()) {
            return PngFont::load(Path::new(&path));
        }
        let mut candidates: Vec<PathBuf> = FONT_CANDIDATES.iter().map(PathBuf::from).collect();
        candidates.extend(first_ttf_under(Path::new("/usr/share/fonts"), 4));
        candidates
            .iter()
            .filter(|p| p.is_file())
            .find_map(|p| PngFont::load(p).ok())
            .ok_or_else(|| {
                "no TrueType font found for the PNG text (set KCB_FONT=/path/to/font.ttf, or \
                 install one, e.g. Debian's fonts-dejavu-core)"
                    .to_owned()
            })
    }

    fn scale(&self, size: f64) -> PxScale {
        // plotters' sizes are 1.24 × the CSS pixel size the SVG writes; a CSS size is one em.
        let em = size as f32 / 1.24;
        let per_em = self.font.units_per_em().unwrap_or(1_000.0);
        PxScale::from(em * self.font.height_unscaled() / per_em)
    }

    /// Glyph outlines of `text` laid out from (0, 0) at the top left, and the box they fill.
    fn layout(&self, text: &str, size: f64) -> (Vec<OutlinedGlyph>, (u32, u32)) {
        let font = self.font.as_scaled(self.scale(size));
        let mut x = 0f32;
        let mut prev = None;
        let mut glyphs = Vec::new();
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                x += font.kern(p, id);
            }
            let glyph = id.with_scale_and_position(font.scale(), point(x, font.ascent()));
            x += font.h_advance(id);
            prev = Some(id);
            glyphs.extend(font.outline_glyph(glyph));
        }
        (
            glyphs,
            (
                x.ceil().max(0.0) as u32,
                (font.ascent() - font.descent()).ceil() as u32,
            ),
        )
    }
}

/// Up to `depth` folders below `dir`: the first `*Sans*Regular*.ttf` or `*Sans.ttf` found.
fn first_ttf_under(dir: &Path, depth: u32) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let wanted = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".ttf")
            && name.contains("Sans")
            && (name.contains("Regular") || name.ends_with("Sans.ttf"))
    };
    if let Some(found) = entries.iter().find(|p| p.is_file() && wanted(p)) {
        return Some(found.clone());
    }
    if depth == 0 {
        return None;
    }
    entries
        .iter()
        .filter(|p| p.is_dir())
        .find_map(|p| first_ttf_under(p, depth - 1))
}

/// plotters' bitmap backend, drawing text with a [`PngFont`].
pub(super) struct TextBitmap<'a, 'f> {
    inner: BitMapBackend<'a>,
    font: &'f PngFont,
}

impl<'a, 'f> TextBitmap<'a, 'f> {
    /// Draw into `rgb` (3 bytes a pixel, `size.0 * size.1` pixels).
    pub(super) fn new(rgb: &'a mut [u8], size: (u32, u32), font: &'f PngFont) -> Self {
        TextBitmap {
            inner: BitMapBackend::with_buffer(rgb, size),
            font,
        }
    }
}

type Err<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for TextBitmap<'a, '_> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err<'a>> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err<'a>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), Err<'a>> {
        self.inner.blit_bitmap(pos, (w, h), src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Err<'a>> {
        Ok(self.font.layout(text, style.size()).1)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Err<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (glyphs, (w, h)) = self.font.layout(text, style.size());
        let (w, h) = (w as i32, h as i32);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let transform = style.transform();
        let (width, height) = self.get_size();
        let mut pixels = Vec::new();
        for g in &glyphs {
            let b = g.px_bounds();
            g.draw(|gx, gy, coverage| {
                if coverage <= 0.0 {
                    return;
                }
                let (x, y) = transform.transform(
                    b.min.x as i32 + gx as i32 + dx,
                    b.min.y as i32 + gy as i32 + dy,
                );
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && y >= 0 && (x as u32) < width && (y as u32) < height {
                    pixels.push(((x, y), coverage.min(1.0)));
                }
            });
        }
        for (at, coverage) in pixels {
            let shade = BackendColor {
                alpha: color.alpha * f64::from(coverage),
                rgb: color.rgb,
            };
            self.inner.draw_pixel(at, shade)?;
        }
        Ok(())
    }
}

/// `rgb` (3 bytes a pixel) as a PNG file.
pub(super) fn encode(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
