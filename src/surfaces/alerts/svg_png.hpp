#pragma once
// An inline SVG chart of a report rasterized to PNG (librsvg + cairo), because mail clients
// show PNG images referenced by Content-ID but drop inline SVG.
#include <optional>
#include <string>

namespace aurum {

/// The PNG of one `<svg ...>...</svg>` element (xmlns added when missing), on white, at its
/// intrinsic size at most `max_width` pixels wide (scaled down beyond). nullopt when librsvg
/// cannot read it.
std::optional<std::string> svg_to_png(const std::string& svg, int max_width = 1100);

} // namespace aurum
