#include "surfaces/data_quality_report.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "core/html.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

/// Message prefixes of the clients that fetch market data (their WARNING/ERROR lines are API
/// failures: HTTP errors, rate limits, retries, malformed answers, gaps found live).
const char* const kDataSources[] = {"binance", "backfill", "http",    "market data",
                                    "data gap", "gap_check", "onchain", "sentiment"};

bool from_data_client(const std::string& message) {
    for (const char* p : kDataSources) {
        const std::string prefix = p;
        if (message.size() >= prefix.size() &&
            std::equal(prefix.begin(), prefix.end(), message.begin(),
                       [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
            return true;
    }
    return false;
}

std::vector<const Finding*> spikes_of(const ValidationReport& r) {
    std::vector<const Finding*> out;
    if (const CheckResult* c = r.check("outliers"))
        for (const Finding& f : c->examples) out.push_back(&f);
    return out;
}

SeriesFreshness freshness_of(const SeriesInfo& info, const Instrument& inst, TimeMs now) {
    SeriesFreshness f;
    f.symbol = info.symbol;
    f.timeframe = info.timeframe;
    f.newest = info.last;
    const TimeMs tf = info.timeframe.ms();
    f.age = now - (info.last + tf);
    // Bars whose period has closed by `now` and that the sessions expected.
    for (TimeMs u = info.last + tf; u + tf <= now && tf > 0; u += tf)
        if (session_expects_bar(inst.sessions, u, info.timeframe)) ++f.missing_since;
    f.stale = f.missing_since >= kStaleBars;
    return f;
}

} // namespace

std::vector<LogProblem> scan_log_file(const std::filesystem::path& file, std::int64_t& others) {
    std::vector<LogProblem> out;
    std::ifstream in(file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        // "2026-01-05 08:00:01.123 UTC WARNING binance: ..."
        const auto utc = line.find(" UTC ");
        if (utc == std::string::npos) continue;
        const auto lvl_end = line.find(' ', utc + 5);
        if (lvl_end == std::string::npos) continue;
        const std::string level = line.substr(utc + 5, lvl_end - utc - 5);
        if (level != "WARNING" && level != "ERROR" && level != "CRITICAL") continue;
        const std::string message = line.substr(lvl_end + 1);
        if (!from_data_client(message)) {
            ++others;
            continue;
        }
        out.push_back(LogProblem{file.filename().string(), n, line.substr(0, utc + 4), level,
                                 message});
    }
    return out;
}

DataQualityReport build_data_quality_report(MarketStore& store, const InstrumentRegistry& instruments,
                                            const ValidationConfig& config,
                                            const std::filesystem::path& logs_dir, TimeMs now) {
    DataQualityReport r;
    r.generated = now;
    ValidationConfig cfg = config;
    cfg.max_examples = std::max(cfg.max_examples, 200); // spikes listed, not sampled
    for (const SeriesInfo& info : store.list_series()) {
        const Instrument inst = instruments.find(info.symbol).value_or([&] {
            Instrument i;
            i.symbol = info.symbol;
            return i;
        }());
        r.series.push_back(validate_series(store.load_bars(info.symbol, info.timeframe), inst, cfg));
        r.freshness.push_back(freshness_of(info, inst, now));
    }
    std::error_code ec;
    if (std::filesystem::is_directory(logs_dir, ec)) {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(logs_dir, ec)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("aurum_edge_", 0) == 0 && e.path().extension() == ".log")
                files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            for (auto& p : scan_log_file(f, r.other_log_problems)) r.api_failures.push_back(std::move(p));
            ++r.log_files;
        }
    }
    Database& db = store.database();
    r.database = db.describe();
    r.tables = table_sizes(db);
    r.database_bytes = database_bytes(db);
    return r;
}

std::filesystem::path data_quality_report_path(const std::filesystem::path& reports_dir, TimeMs t) {
    const CivilTime c = civil_from_time(t);
    return reports_dir / fmt::format("data_quality_{:04}_{:02}_{:02}.html", c.year, c.month, c.day);
}

std::filesystem::path write_data_quality_files(const DataQualityReport& r,
                                               const std::filesystem::path& html) {
    auto txt = html;
    txt.replace_extension(".txt");
    write_file_atomic(html, render_data_quality_html(r));
    write_file_atomic(txt, render_data_quality_text(r));
    return txt;
}

std::string render_data_quality_text(const DataQualityReport& r) {
    std::string out = "DATA QUALITY REPORT  " + format_time(r.generated) + " UTC\n";
    out += "Database: " + r.database + "\n\n";
    int failed = 0;
    for (const auto& s : r.series) failed += s.status() == Severity::Fail ? 1 : 0;
    out += fmt::format("SUMMARY: {} series, {} failed validation, {} stale, {} API failures in the "
                       "logs, database {}\n\n",
                       r.series.size(), failed,
                       std::count_if(r.freshness.begin(), r.freshness.end(),
                                     [](const SeriesFreshness& f) { return f.stale; }),
                       r.api_failures.size(), format_bytes(r.database_bytes));

    out += "MISSING DATA (every gap; weekends, daily breaks and exchange holidays are not gaps)\n";
    for (const auto& s : r.series) {
        out += fmt::format("  {} {}: {} ({} gaps)\n", s.symbol, s.timeframe.name(),
                           to_string(s.status()), s.gaps.size());
        for (const GapInfo& g : s.gaps)
            out += fmt::format("    {} {}  {:>5} bars  {:>8} of open market  until {}\n",
                               to_string(g.severity), format_time(g.from), g.missing,
                               format_duration(g.open_market), format_time(g.until));
    }
    out += "\nUNUSUAL SPIKES (robust z of returns and wicks)\n";
    for (const auto& s : r.series)
        for (const Finding* f : spikes_of(s))
            out += fmt::format("  {} {} {} {}  {}\n", s.symbol, s.timeframe.name(),
                               to_string(f->severity), format_time(f->time), f->message);
    out += "\nSTALE DATA (newest bar per series)\n";
    for (const auto& f : r.freshness)
        out += fmt::format("  {:<10} {:>4}  newest {}  age {:>10}  {} expected bars since{}\n",
                           f.symbol, f.timeframe.name(), format_time(f.newest),
                           format_duration(std::max<TimeMs>(0, f.age)), f.missing_since,
                           f.stale ? "  STALE" : "");
    out += fmt::format("\nAPI FAILURES ({} log files read; {} other WARNING/ERROR lines)\n",
                       r.log_files, r.other_log_problems);
    if (r.api_failures.empty()) out += "  none\n";
    for (const auto& p : r.api_failures)
        out += fmt::format("  {}:{}  {} {}  {}\n", p.file, p.line, p.time, p.level, p.message);
    out += fmt::format("\nDATABASE SIZE: {}\n", format_bytes(r.database_bytes));
    for (const auto& t : r.tables)
        out += fmt::format("  {:<24} {:>10} rows  {:>10}\n", t.table, t.rows, format_bytes(t.bytes));
    return out;
}

namespace {

const char* badge(Severity s) {
    return s == Severity::Fail ? "fail" : s == Severity::Warn ? "warn" : "pass";
}

const char* kCss = R"CSS(
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#f7f8fa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
.meta{color:#5b6373;font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:10px 14px;min-width:140px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:600}.warn{color:#9a6700;font-weight:600}.fail{color:#cf222e;font-weight:600}
code{font-size:12px}
)CSS";

} // namespace

std::string render_data_quality_html(const DataQualityReport& r) {
    int failed = 0;
    std::int64_t gaps = 0;
    for (const auto& s : r.series) {
        failed += s.status() == Severity::Fail ? 1 : 0;
        gaps += static_cast<std::int64_t>(s.gaps.size());
    }
    const auto stale = std::count_if(r.freshness.begin(), r.freshness.end(),
                                     [](const SeriesFreshness& f) { return f.stale; });
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<title>Data quality " + format_date(r.generated) + "</title><style>" +
                    kCss + "</style></head><body>\n";
    h += "<h1>Data quality report</h1><div class=\"meta\">" + format_time(r.generated) +
         " UTC &middot; " + html_escape(r.database) + "</div>\n";
    h += fmt::format("<div class=\"cards\"><div class=\"card\">series<b>{}</b></div>"
                     "<div class=\"card\">failed validation<b class=\"{}\">{}</b></div>"
                     "<div class=\"card\">gaps<b>{}</b></div>"
                     "<div class=\"card\">stale series<b class=\"{}\">{}</b></div>"
                     "<div class=\"card\">API failures<b class=\"{}\">{}</b></div>"
                     "<div class=\"card\">database<b>{}</b></div></div>\n",
                     r.series.size(), failed ? "fail" : "pass", failed, gaps,
                     stale ? "warn" : "pass", stale, r.api_failures.empty() ? "pass" : "warn",
                     r.api_failures.size(), format_bytes(r.database_bytes));

    h += "<h2>Validation</h2><table><tr><th>series</th><th>bars</th><th>range</th><th>status</th>"
         "<th>checks not passed</th></tr>\n";
    for (const auto& s : r.series) {
        std::string notes;
        for (const auto& c : s.checks)
            if (c.status != Severity::Pass)
                notes += fmt::format("<span class=\"{}\">{}</span> {}: {}<br>", badge(c.status),
                                     to_string(c.status), c.name, html_escape(c.summary));
        h += fmt::format("<tr><td>{} {}</td><td class=\"n\">{}</td><td>{} .. {}</td>"
                         "<td class=\"{}\">{}</td><td>{}</td></tr>\n",
                         html_escape(s.symbol), s.timeframe.name(), s.bars, format_time(s.first),
                         format_time(s.last), badge(s.status()), to_string(s.status()), notes);
    }
    h += "</table>\n<h2>Missing data: every gap</h2><p class=\"meta\">Weekends, daily breaks and "
         "exchange holidays (instrument calendar) are not gaps.</p>\n";
    for (const auto& s : r.series) {
        h += fmt::format("<h3>{} {} &middot; {} gaps</h3>\n", html_escape(s.symbol),
                         s.timeframe.name(), s.gaps.size());
        if (s.gaps.empty()) continue;
        h += "<table><tr><th></th><th>from</th><th>until (next bar)</th><th>missing bars</th>"
             "<th>open market</th></tr>\n";
        for (const GapInfo& g : s.gaps)
            h += fmt::format("<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}"
                             "</td><td class=\"n\">{}</td></tr>\n",
                             badge(g.severity), to_string(g.severity), format_time(g.from),
                             format_time(g.until), g.missing, format_duration(g.open_market));
        h += "</table>\n";
    }
    h += "<h2>Unusual spikes</h2><table><tr><th>series</th><th></th><th>time</th><th>what</th></tr>\n";
    for (const auto& s : r.series)
        for (const Finding* f : spikes_of(s))
            h += fmt::format("<tr><td>{} {}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n",
                             html_escape(s.symbol), s.timeframe.name(), badge(f->severity),
                             to_string(f->severity), format_time(f->time), html_escape(f->message));
    h += "</table>\n<h2>Stale data</h2><table><tr><th>series</th><th>newest bar</th><th>age</th>"
         "<th>expected bars since</th><th></th></tr>\n";
    for (const auto& f : r.freshness)
        h += fmt::format("<tr><td>{} {}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}"
                         "</td><td class=\"{}\">{}</td></tr>\n",
                         html_escape(f.symbol), f.timeframe.name(), format_time(f.newest),
                         format_duration(std::max<TimeMs>(0, f.age)), f.missing_since,
                         f.stale ? "warn" : "pass", f.stale ? "STALE" : "fresh");
    h += fmt::format("</table>\n<h2>API failures</h2><p class=\"meta\">WARNING/ERROR lines of the "
                     "market-data and backfill clients in {} log file(s) (logs/aurum_edge_*.log); "
                     "{} other WARNING/ERROR lines.</p>\n",
                     r.log_files, r.other_log_problems);
    if (r.api_failures.empty()) {
        h += "<p>None.</p>\n";
    } else {
        h += "<table><tr><th>where</th><th>time</th><th>level</th><th>message</th></tr>\n";
        for (const auto& p : r.api_failures)
            h += fmt::format("<tr><td><code>{}:{}</code></td><td>{}</td><td class=\"{}\">{}</td>"
                             "<td>{}</td></tr>\n",
                             html_escape(p.file), p.line, html_escape(p.time),
                             p.level == "WARNING" ? "warn" : "fail", p.level, html_escape(p.message));
        h += "</table>\n";
    }
    h += "<h2>Database size</h2><table><tr><th>table</th><th>rows</th><th>size</th></tr>\n";
    for (const auto& t : r.tables)
        h += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                         html_escape(t.table), t.rows, format_bytes(t.bytes));
    h += fmt::format("<tr><th>total</th><th></th><th class=\"n\">{}</th></tr></table>\n",
                     format_bytes(r.database_bytes));
    h += "</body></html>\n";
    return h;
}

} // namespace aurum
