// The HTML/SVG building blocks every report shares: escaping, a page that loads nothing from
// another host, charts that survive too few points and gaps (NaN) in a series.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/html.hpp"

using namespace aurum;

TEST(Html, escapes_markup_and_quotes) {
    EXPECT_EQ(html_escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(Html, page_inlines_its_css_and_references_no_other_host) {
    const std::string p = html_page("T <1>", "<p>x</p>");
    EXPECT_EQ(p.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(p.find("<title>T &lt;1&gt;</title>"), std::string::npos);
    EXPECT_NE(p.find("<style>"), std::string::npos);
    EXPECT_EQ(p.find("http"), std::string::npos);
    EXPECT_EQ(p.find("<link"), std::string::npos);
}

TEST(Html, line_chart_draws_each_series_and_skips_gaps) {
    std::vector<TimeMs> t;
    std::vector<double> a, b;
    for (int k = 0; k < 100; ++k) {
        t.push_back(make_time(2024, 1, 1) + k * kMsPerHour);
        a.push_back(100 + k);
        b.push_back(k % 10 == 0 ? NAN : 50.0 + k);
    }
    const std::string svg = svg_line_chart(t, {{&a, "#111", "a <1>"}, {&b, "#222", "b"}}, {});
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("stroke='#111'"), std::string::npos);
    EXPECT_NE(svg.find("stroke='#222'"), std::string::npos);
    EXPECT_NE(svg.find("a &lt;1&gt;"), std::string::npos);
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_NE(svg.find("2024-01-01"), std::string::npos);
    // Fewer than two points: a note, not a broken chart.
    const std::vector<TimeMs> one{t[0]};
    const std::vector<double> y{1.0};
    EXPECT_NE(svg_line_chart(one, {{&y, "#111", "y"}}, {}).find("not enough points"), std::string::npos);
}

TEST(Html, bar_chart_labels_each_bar_with_its_value) {
    const std::string svg = svg_bar_chart({{"heat", 0.35}, {"daily", -0.02}}, 600, true);
    EXPECT_NE(svg.find(">heat<"), std::string::npos);
    EXPECT_NE(svg.find("35.0%"), std::string::npos);
    EXPECT_NE(svg.find("-2.0%"), std::string::npos);
    EXPECT_NE(svg.find("#c0392b"), std::string::npos) << "a negative bar is red";
}
