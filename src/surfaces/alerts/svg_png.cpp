#include "surfaces/alerts/svg_png.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include <cairo.h>
#include <librsvg/rsvg.h>

namespace aurum {

namespace {

cairo_status_t append_png(void* out, const unsigned char* data, unsigned int n) {
    static_cast<std::string*>(out)->append(reinterpret_cast<const char*>(data), n);
    return CAIRO_STATUS_SUCCESS;
}

} // namespace

std::optional<std::string> svg_to_png(const std::string& svg, int max_width) {
    std::string doc = svg;
    // An SVG inside HTML needs no namespace; a standalone document does.
    const auto tag_end = doc.find('>');
    if (doc.rfind("<svg", 0) != 0 || tag_end == std::string::npos) return std::nullopt;
    if (doc.substr(0, tag_end).find("xmlns") == std::string::npos)
        doc.insert(4, " xmlns='http://www.w3.org/2000/svg'");
    // The page's font (its CSS) does not reach the rasterizer: sans-serif like the report.
    if (doc.substr(0, tag_end).find("font-family") == std::string::npos)
        doc.insert(4, " font-family='sans-serif'");
    GError* err = nullptr;
    std::unique_ptr<RsvgHandle, void (*)(gpointer)> h(
        rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(doc.data()), doc.size(), &err),
        g_object_unref);
    if (!h) {
        if (err) g_error_free(err);
        return std::nullopt;
    }
    double w = 0, hgt = 0;
    if (!rsvg_handle_get_intrinsic_size_in_pixels(h.get(), &w, &hgt) || w <= 0 || hgt <= 0)
        return std::nullopt;
    const double scale = std::min(1.0, max_width / w);
    const int pw = static_cast<int>(std::ceil(w * scale)), ph = static_cast<int>(std::ceil(hgt * scale));
    std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface(
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph), cairo_surface_destroy);
    std::unique_ptr<cairo_t, void (*)(cairo_t*)> cr(cairo_create(surface.get()), cairo_destroy);
    cairo_set_source_rgb(cr.get(), 1, 1, 1); // white: a dark-mode mail client shows no black box
    cairo_paint(cr.get());
    const RsvgRectangle viewport{0, 0, static_cast<double>(pw), static_cast<double>(ph)};
    if (!rsvg_handle_render_document(h.get(), cr.get(), &viewport, &err)) {
        if (err) g_error_free(err);
        return std::nullopt;
    }
    std::string png;
    if (cairo_surface_write_to_png_stream(surface.get(), append_png, &png) != CAIRO_STATUS_SUCCESS)
        return std::nullopt;
    return png;
}

} // namespace aurum
