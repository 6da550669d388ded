//! The window's look beyond egui's defaults: input fields that stand out from the panel in
//! the light theme, and progress bars whose filled end never covers their text.

use egui::{Color32, Stroke};

/// The border of an input field (and a button) at rest, in the light theme.
pub const LIGHT_INPUT_BORDER: Color32 = Color32::from_gray(140);

pub fn apply(ctx: &egui::Context) {
    ctx.style_mut_of(egui::Theme::Light, |s| {
        s.visuals.widgets.inactive.bg_stroke = Stroke::new(1.0, LIGHT_INPUT_BORDER);
        s.visuals.text_edit_bg_color = Some(Color32::WHITE);
        s.visuals.extreme_bg_color = Color32::from_gray(236);
    });
}

/// A progress bar with square-ish ends: at a small fraction its fill is a sliver, not a
/// half-height disc over the first letters of its text.
pub fn bar(fraction: f32) -> egui::ProgressBar {
    egui::ProgressBar::new(fraction).corner_radius(3)
}
