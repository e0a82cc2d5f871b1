#include "data/validation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

std::string to_string(Severity s) {
    switch (s) {
    case Severity::Pass:
        return "PASS";
    case Severity::Warn:
        return "WARN";
    case Severity::Fail:
        return "FAIL";
    }
    return "?";
}

Severity ValidationReport::status() const {
    Severity s = Severity::Pass;
    for (const auto& c : checks)
        s = std::max(s, c.status);
    return s;
}

std::vector<std::string> ValidationReport::failure_reasons() const {
    std::vector<std::string> out;
    for (const auto& c : checks)
        if (c.status == Severity::Fail)
            out.push_back(symbol + " " + timeframe.name() + ": " + c.name + ": " + c.summary);
    return out;
}

const CheckResult* ValidationReport::check(const std::string& name) const {
    for (const auto& c : checks)
        if (c.name == name)
            return &c;
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Config

namespace {

TimeMs get_duration(const ConfigNode& n, const std::string& key, TimeMs fallback) {
    if (!n.has(key))
        return fallback;
    const std::string text = n.get_string(key);
    const auto d = parse_duration(text);
    if (!d || *d <= 0)
        n.fail(key, "expected a positive duration such as 6h or 14d, got '" + text + "'");
    return *d;
}

int get_run(const ConfigNode& n, const std::string& key, int fallback) {
    const long long v = n.get_int(key, fallback);
    if (v < 2 || v > 1000000)
        n.fail(key, "must be a whole number in [2, 1000000], got " + std::to_string(v));
    return static_cast<int>(v);
}

/// The section of a run-length check (`warn_run`, `fail_run`; fail must not be below warn).
void get_runs(const ConfigNode& n, int& warn, int& fail) {
    n.allow_keys({"warn_run", "fail_run"});
    warn = get_run(n, "warn_run", warn);
    fail = get_run(n, "fail_run", fail);
    if (fail < warn)
        n.fail("fail_run",
               "must be >= warn_run (" + std::to_string(warn) + "), got " + std::to_string(fail));
}

} // namespace

ValidationConfig ValidationConfig::from_node(const ConfigNode& root) {
    ValidationConfig c;
    if (!root.defined())
        return c;
    root.allow_keys(
        {"max_examples", "gaps", "sessions", "outliers", "zero_volume", "stale", "spread"});
    const long long ex = root.get_int("max_examples", c.max_examples);
    if (ex < 0 || ex > 1000)
        root.fail("max_examples", "must be in [0, 1000], got " + std::to_string(ex));
    c.max_examples = static_cast<int>(ex);

    if (const ConfigNode g = root.child("gaps"); g.defined()) {
        g.allow_keys({"fail_missing_fraction", "fail_max_gap", "fail_session_gap"});
        c.gaps_fail_missing_fraction =
            g.get_in_range("fail_missing_fraction", c.gaps_fail_missing_fraction, 0.0, 1.0);
        c.gaps_fail_max_gap = get_duration(g, "fail_max_gap", c.gaps_fail_max_gap);
        c.gaps_fail_session_gap = get_duration(g, "fail_session_gap", c.gaps_fail_session_gap);
    }
    if (const ConfigNode s = root.child("sessions"); s.defined()) {
        s.allow_keys({"tolerance", "fail_fraction"});
        c.sessions_tolerance = get_duration(s, "tolerance", c.sessions_tolerance);
        c.sessions_fail_fraction =
            s.get_in_range("fail_fraction", c.sessions_fail_fraction, 0.0, 1.0);
    }
    if (const ConfigNode o = root.child("outliers"); o.defined()) {
        o.allow_keys({"warn_z", "fail_z", "min_bars"});
        c.outliers_warn_z = o.get_positive("warn_z", c.outliers_warn_z);
        c.outliers_fail_z = o.get_positive("fail_z", c.outliers_fail_z);
        if (c.outliers_fail_z < c.outliers_warn_z)
            o.fail("fail_z", fmt::format("must be >= warn_z ({}), got {}", c.outliers_warn_z,
                                         c.outliers_fail_z));
        const long long mb = o.get_int("min_bars", c.outliers_min_bars);
        if (mb < 3)
            o.fail("min_bars", "must be >= 3, got " + std::to_string(mb));
        c.outliers_min_bars = static_cast<int>(std::min<long long>(mb, 1000000000));
    }
    if (const ConfigNode z = root.child("zero_volume"); z.defined())
        get_runs(z, c.zero_volume_warn_run, c.zero_volume_fail_run);
    if (const ConfigNode s = root.child("stale"); s.defined())
        get_runs(s, c.stale_warn_run, c.stale_fail_run);
    if (const ConfigNode s = root.child("spread"); s.defined()) {
        s.allow_keys({"spike_z", "fail_zero_fraction"});
        c.spread_spike_z = s.get_positive("spike_z", c.spread_spike_z);
        c.spread_fail_zero_fraction =
            s.get_in_range("fail_zero_fraction", c.spread_fail_zero_fraction, 0.0, 1.0);
    }
    return c;
}

ValidationConfig ValidationConfig::load(const std::string& path) {
    if (!std::filesystem::exists(path))
        return ValidationConfig{};
    return from_node(ConfigNode::load_file(path));
}

// ---------------------------------------------------------------------------------------------
// Checks

bool session_expects_bar(const TradingSessions& sessions, TimeMs t, Timeframe tf) {
    if (sessions.always_open)
        return true;
    constexpr TimeMs kStep = 15 * kMsPerMinute;
    const TimeMs step = std::min<TimeMs>(tf.ms(), kStep);
    for (TimeMs s = t; s < t + tf.ms(); s += step)
        if (sessions.is_open(s))
            return true;
    return false;
}

namespace {

/// Collects a check's findings: counts all, keeps the first few of each severity. Findings keyed
/// before `t_since` (context bars of a --since check) are dropped.
class Collector {
  public:
    Collector(std::string name, int max_examples, TimeMs since)
        : max_(static_cast<std::size_t>(max_examples)), since_(since) {
        result_.name = std::move(name);
    }
    void set_unlimited() { max_ = SIZE_MAX; }
    /// `key`: the time that decides whether the finding is new (a run's or gap's end).
    void add(TimeMs t, Severity s, std::string message, TimeMs key = INT64_MIN) {
        if ((key == INT64_MIN ? t : key) < since_) return;
        ++result_.count;
        result_.status = std::max(result_.status, s);
        auto& keep = s == Severity::Fail ? fails_ : warns_;
        if (keep.size() < max_)
            keep.push_back(Finding{t, s, std::move(message)});
    }
    /// Raises the status without a per-bar finding (thresholds on totals).
    void escalate(Severity s) { result_.status = std::max(result_.status, s); }
    std::int64_t count() const { return result_.count; }
    CheckResult finish(std::string summary) {
        result_.summary = std::move(summary);
        std::vector<Finding> all = std::move(fails_);
        for (auto& w : warns_)
            if (all.size() < max_)
                all.push_back(std::move(w));
        std::stable_sort(all.begin(), all.end(),
                         [](const Finding& a, const Finding& b) { return a.time < b.time; });
        result_.examples = std::move(all);
        return std::move(result_);
    }

  private:
    std::size_t max_;
    TimeMs since_;
    CheckResult result_;
    std::vector<Finding> fails_, warns_;
};

std::string num(std::int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return v < 0 ? "-" + s : s;
}

std::string pct(double f) {
    return fmt::format("{:.2f}%", 100.0 * f);
}

/// Median and robust scale (1.4826 x MAD, falling back to 1.2533 x mean absolute deviation when
/// more than half the values are equal). Reorders `v`.
std::pair<double, double> robust_center_scale(std::vector<double>& v) {
    if (v.empty())
        return {0.0, 0.0};
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    const double med = *mid;
    double mean_abs = 0;
    for (double& x : v) {
        x = std::fabs(x - med);
        mean_abs += x;
    }
    mean_abs /= static_cast<double>(v.size());
    std::nth_element(v.begin(), mid, v.end());
    double scale = 1.4826 * *mid;
    if (!(scale > 0))
        scale = 1.2533 * mean_abs;
    return {med, scale};
}

CheckResult check_ordering(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    Collector c("ordering", cfg.max_examples, since);
    for (std::size_t i = 1; i < s.size(); ++i)
        if (s.time[i] < s.time[i - 1])
            c.add(s.time[i], Severity::Fail,
                  "bar comes after " + format_time(s.time[i - 1]) + " (row " +
                      std::to_string(i + 1) + ")");
    return c.finish(c.count() == 0 ? "open times ascend"
                                   : num(c.count()) + " bars out of time order");
}

CheckResult check_duplicates(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    Collector c("duplicates", cfg.max_examples, since);
    std::vector<std::size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    // stable: the first occurrence in file order is the one kept by later checks
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return s.time[a] < s.time[b]; });
    for (std::size_t k = 1; k < idx.size(); ++k) {
        const std::size_t a = idx[k - 1], b = idx[k];
        if (s.time[a] != s.time[b])
            continue;
        const bool same = s.open[a] == s.open[b] && s.high[a] == s.high[b] &&
                          s.low[a] == s.low[b] && s.close[a] == s.close[b] &&
                          s.volume[a] == s.volume[b];
        c.add(s.time[b], Severity::Fail,
              std::string(same ? "identical" : "conflicting") + " duplicate of the bar at row " +
                  std::to_string(a + 1) + " (row " + std::to_string(b + 1) + ")");
    }
    return c.finish(c.count() == 0 ? "every open time is unique"
                                   : num(c.count()) + " duplicate open times");
}

CheckResult check_ohlc(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    Collector c("ohlc", cfg.max_examples, since);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const double o = s.open[i], h = s.high[i], l = s.low[i], cl = s.close[i], v = s.volume[i];
        const char* what = nullptr;
        if (!std::isfinite(o) || !std::isfinite(h) || !std::isfinite(l) || !std::isfinite(cl))
            what = "non-finite price";
        else if (o <= 0 || h <= 0 || l <= 0 || cl <= 0)
            what = "non-positive price";
        else if (h < l)
            what = "high < low";
        else if (h < o || h < cl)
            what = "high below open or close";
        else if (l > o || l > cl)
            what = "low above open or close";
        else if (!std::isfinite(v) || v < 0)
            what = "negative or non-finite volume";
        if (what)
            c.add(s.time[i], Severity::Fail,
                  fmt::format("{}: O={} H={} L={} C={} V={}", what, o, h, l, cl, v));
    }
    return c.finish(c.count() == 0
                        ? "prices positive and finite, low <= open, close <= high, volume >= 0"
                        : num(c.count()) + " bars with impossible OHLCV values");
}

CheckResult check_alignment(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    Collector c("alignment", cfg.max_examples, since);
    const TimeMs tf = s.timeframe.ms();
    if (s.empty() || tf <= 0)
        return c.finish("no bars");
    const TimeMs phase = s.time[0] - floor_to(s.time[0], tf);
    for (std::size_t i = 1; i < s.size(); ++i) {
        const TimeMs p = s.time[i] - floor_to(s.time[i], tf);
        if (p != phase)
            c.add(s.time[i], Severity::Fail,
                  "opens " + format_duration(p) + " past a " + s.timeframe.name() +
                      " boundary, the first bar " + format_duration(phase));
    }
    if (c.count() > 0)
        return c.finish(num(c.count()) + " bars off the series' " + s.timeframe.name() +
                        " grid (mixed spacing)");
    // Weekly bars conventionally open on Monday, not on the epoch's Thursday grid.
    if (phase != 0 && tf <= kMsPerDay && kMsPerDay % tf == 0) {
        c.add(s.time[0], Severity::Warn,
              "first bar opens " + format_duration(phase) + " past the UTC grid");
        return c.finish("bars open " + format_duration(phase) + " past UTC " + s.timeframe.name() +
                        " boundaries (broker time zone?); resampling aligns to UTC");
    }
    return c.finish("every bar on the UTC " + s.timeframe.name() + " grid");
}

struct GapOutcome {
    CheckResult gaps;
    CheckResult sessions;
    std::vector<std::uint32_t> missing_before; ///< expected bars missing before bar i
    std::vector<GapInfo> list;                 ///< every gap that counts
};

const char* const kWeekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/// The gap between bars at `prev` and `t`: expected bars missing and the first of them.
std::pair<std::int64_t, TimeMs> missing_between(const TradingSessions& sessions, TimeMs prev,
                                                TimeMs t, Timeframe tf) {
    std::int64_t missing = 0;
    TimeMs first = 0;
    for (TimeMs u = prev + tf.ms(); u < t; u += tf.ms())
        if (session_expects_bar(sessions, u, tf)) {
            if (missing++ == 0) first = u;
        }
    return {missing, first};
}

Severity gap_severity(std::int64_t missing, TimeMs step, const TradingSessions& sessions,
                      const ValidationConfig& cfg) {
    const TimeMs open = missing * step;
    if (open >= cfg.gaps_fail_max_gap) return Severity::Fail;
    if (!sessions.always_open && open >= cfg.gaps_fail_session_gap) return Severity::Fail;
    return Severity::Warn;
}

std::string gap_rule_text(const TradingSessions& sessions, const ValidationConfig& cfg) {
    std::string rule = "a gap of " + format_duration(cfg.gaps_fail_max_gap);
    if (!sessions.always_open)
        rule = "a gap of " + format_duration(cfg.gaps_fail_session_gap) + " of open market";
    return rule + " or more FAILs";
}

GapOutcome check_gaps_and_sessions(const BarSeries& s, const TradingSessions& sessions,
                                   const ValidationConfig& cfg, TimeMs since) {
    GapOutcome out;
    out.missing_before.assign(s.size(), 0);
    Collector g("gaps", cfg.max_examples, since);
    g.set_unlimited(); // every gap is listed: a hole must never hide behind "... N more"
    Collector off("sessions", cfg.max_examples, since);
    const Timeframe tf = s.timeframe;
    const TimeMs step = tf.ms();
    std::int64_t missing_total = 0, expected_present = 0, longest = 0;
    TimeMs longest_at = 0;
    bool any_fail_gap = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const TimeMs t = s.time[i];
        if (t >= since && session_expects_bar(sessions, t, tf)) {
            ++expected_present;
        } else if (!session_expects_bar(sessions, t, tf) &&
                   !session_expects_bar(sessions, t - cfg.sessions_tolerance, tf) &&
                   !session_expects_bar(sessions, t + cfg.sessions_tolerance, tf)) {
            const HolidayRule* h = sessions.holidays ? sessions.holidays->rule_at(t) : nullptr;
            off.add(t, Severity::Warn,
                    "bar while the market is closed (" +
                        (h ? h->name : std::string(weekday(t) >= 5 ? "weekend" : "session break")) +
                        ")");
        }
        if (i == 0 || step <= 0 || t - s.time[i - 1] <= step)
            continue;
        const TimeMs prev = s.time[i - 1];
        const auto [missing, first] = missing_between(sessions, prev, t, tf);
        if (missing == 0)
            continue;
        out.missing_before[i] =
            static_cast<std::uint32_t>(std::min<std::int64_t>(missing, UINT32_MAX));
        if (t < since)
            continue; // an old gap: context, not news
        const Severity sev = gap_severity(missing, step, sessions, cfg);
        any_fail_gap = any_fail_gap || sev == Severity::Fail;
        missing_total += missing;
        out.list.push_back(GapInfo{first, t, missing, missing * step, sev});
        g.add(first, sev,
              fmt::format("{} expected bar{} missing ({} of open market) until {} ({}, last bar "
                          "before {})",
                          num(missing), missing == 1 ? "" : "s", format_duration(missing * step),
                          format_time(t), kWeekdays[weekday(first)], format_time(prev)),
              t);
        if (missing > longest) {
            longest = missing;
            longest_at = first;
        }
    }
    const std::int64_t expected = expected_present + missing_total;
    const double frac =
        expected > 0 ? static_cast<double>(missing_total) / static_cast<double>(expected) : 0.0;
    if (frac > cfg.gaps_fail_missing_fraction)
        g.escalate(Severity::Fail);
    std::string gs;
    if (g.count() == 0) {
        gs = sessions.always_open ? "no missing bars"
                                  : "no missing bars in open sessions (weekends, daily breaks and "
                                    "holidays are not gaps)";
    } else {
        gs = fmt::format("{} gap{}, {} missing bars ({} of {} expected; FAIL above {}), longest {} "
                         "({}) from {}",
                         num(g.count()), g.count() == 1 ? "" : "s", num(missing_total), pct(frac),
                         num(expected), pct(cfg.gaps_fail_missing_fraction), num(longest),
                         format_duration(longest * step), format_time(longest_at));
        if (any_fail_gap)
            gs += "; " + gap_rule_text(sessions, cfg);
    }
    out.gaps = g.finish(gs);

    const auto checked = std::count_if(s.time.begin(), s.time.end(),
                                       [&](TimeMs t) { return t >= since; });
    const double off_frac =
        checked <= 0 ? 0.0 : static_cast<double>(off.count()) / static_cast<double>(checked);
    if (off_frac > cfg.sessions_fail_fraction)
        off.escalate(Severity::Fail);
    std::string ss;
    if (sessions.always_open)
        ss = "market open 24/7";
    else if (off.count() == 0)
        ss = "no bars while the market is closed";
    else
        ss = fmt::format("{} bars while the market is closed ({} of bars; FAIL above {}): wrong "
                         "time zone offset?",
                         num(off.count()), pct(off_frac), pct(cfg.sessions_fail_fraction));
    out.sessions = off.finish(ss);
    return out;
}

CheckResult check_outliers(const BarSeries& s, const std::vector<std::uint32_t>& missing_before,
                           const ValidationConfig& cfg, TimeMs since) {
    Collector c("outliers", cfg.max_examples, since);
    const std::size_t n = s.size();
    auto valid = [&](std::size_t i) { return std::isfinite(s.close[i]) && s.close[i] > 0; };
    std::vector<double> r;
    r.reserve(n);
    for (std::size_t i = 1; i < n; ++i)
        if (valid(i) && valid(i - 1))
            r.push_back(std::log(s.close[i] / s.close[i - 1]) /
                        std::sqrt(1.0 + static_cast<double>(missing_before[i])));
    if (r.size() < static_cast<std::size_t>(cfg.outliers_min_bars))
        return c.finish("skipped: fewer than " + std::to_string(cfg.outliers_min_bars) +
                        " returns");
    std::vector<double> work = r;
    const auto [med, scale] = robust_center_scale(work);
    if (!(scale > 0))
        return c.finish("skipped: prices never move");
    double max_z = 0;
    auto judge = [&](double z) {
        max_z = std::max(max_z, z);
        return z > cfg.outliers_fail_z   ? Severity::Fail
               : z > cfg.outliers_warn_z ? Severity::Warn
                                         : Severity::Pass;
    };
    std::int64_t judged = 0;
    for (std::size_t i = 1; i < n; ++i) {
        if (!valid(i) || !valid(i - 1) || s.time[i] < since) // context bars only set the scale
            continue;
        ++judged;
        const double lr = std::log(s.close[i] / s.close[i - 1]);
        const double z =
            std::fabs(lr / std::sqrt(1.0 + static_cast<double>(missing_before[i])) - med) / scale;
        if (const Severity sev = judge(z); sev != Severity::Pass)
            c.add(s.time[i], sev,
                  fmt::format("close-to-close log return {:+.4f} (robust z {:.1f}), close {} -> {}",
                              lr, z, s.close[i - 1], s.close[i]));
        // A wick far beyond the return scale is the typical bad tick: the close is fine, one
        // extreme is not.
        const double body_hi = std::max(s.open[i], s.close[i]),
                     body_lo = std::min(s.open[i], s.close[i]);
        if (s.high[i] > 0 && s.low[i] > 0 && body_lo > 0) {
            const double up = std::log(s.high[i] / body_hi) / scale;
            const double down = std::log(body_lo / s.low[i]) / scale;
            const double w = std::max(up, down);
            if (const Severity sev = judge(w); sev != Severity::Pass)
                c.add(s.time[i], sev,
                      fmt::format("{} wick {:.4f} in log price (robust z {:.1f}), high {} low {}",
                                  up >= down ? "upper" : "lower", w * scale, w, s.high[i],
                                  s.low[i]));
        }
    }
    return c.finish(
        fmt::format("{} of {} returns/wicks beyond robust z {} (FAIL beyond {}); return "
                    "scale {:.5f}, largest z {:.1f}",
                    num(c.count()), num(judged), cfg.outliers_warn_z,
                    cfg.outliers_fail_z, scale, max_z));
}

/// Reports runs of consecutive bars where `same(i)` holds between bar i-1 and bar i (or, for
/// `single`, where bar i alone qualifies).
template <class Pred>
CheckResult check_runs(const BarSeries& s, const std::string& name, int warn_run, int fail_run,
                       const ValidationConfig& cfg, TimeMs since, Pred qualifies,
                       const std::string& what, std::int64_t& bars_in_runs) {
    Collector c(name, cfg.max_examples, since);
    bars_in_runs = 0;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        if (!qualifies(i)) {
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        while (j < n && qualifies(j))
            ++j;
        const std::int64_t len = static_cast<std::int64_t>(j - i) + (name == "stale" ? 1 : 0);
        const TimeMs start = name == "stale" ? s.time[i - 1] : s.time[i];
        bars_in_runs += len;
        if (len >= warn_run)
            c.add(start, len >= fail_run ? Severity::Fail : Severity::Warn,
                  fmt::format("{} consecutive bars {} until {}", num(len), what,
                              format_time(s.time[j - 1])),
                  s.time[j - 1]);
        i = j;
    }
    return c.finish("");
}

CheckResult check_zero_volume(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    const std::size_t n = s.size();
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < n; ++i)
        zeros += s.volume[i] == 0.0 ? 1 : 0;
    if (n > 0 && zeros == n) {
        Collector c("zero_volume", cfg.max_examples, since);
        c.add(s.time[0], Severity::Warn, "every bar has volume 0");
        return c.finish("the series carries no volume at all (source without volume?)");
    }
    std::int64_t in_runs = 0;
    CheckResult r = check_runs(
        s, "zero_volume", cfg.zero_volume_warn_run, cfg.zero_volume_fail_run, cfg, since,
        [&](std::size_t i) { return s.volume[i] == 0.0; }, "with volume 0", in_runs);
    r.summary =
        r.count == 0
            ? fmt::format("no run of {}+ zero-volume bars ({} isolated zero-volume bar{})",
                          cfg.zero_volume_warn_run, num(static_cast<std::int64_t>(zeros)),
                          zeros == 1 ? "" : "s")
            : fmt::format(
                  "{} run{} of {}+ zero-volume bars (FAIL at {}); {} zero-volume bars in all",
                  num(r.count), r.count == 1 ? "" : "s", cfg.zero_volume_warn_run,
                  cfg.zero_volume_fail_run, num(static_cast<std::int64_t>(zeros)));
    return r;
}

CheckResult check_stale(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    std::int64_t in_runs = 0;
    CheckResult r = check_runs(
        s, "stale", cfg.stale_warn_run, cfg.stale_fail_run, cfg, since,
        [&](std::size_t i) {
            return i > 0 && s.open[i] == s.open[i - 1] && s.high[i] == s.high[i - 1] &&
                   s.low[i] == s.low[i - 1] && s.close[i] == s.close[i - 1];
        },
        "with identical OHLC", in_runs);
    r.summary = r.count == 0
                    ? fmt::format("no run of {}+ identical bars", cfg.stale_warn_run)
                    : fmt::format("{} run{} of {}+ identical bars (FAIL at {}): a stale feed?",
                                  num(r.count), r.count == 1 ? "" : "s", cfg.stale_warn_run,
                                  cfg.stale_fail_run);
    return r;
}

CheckResult check_spread(const BarSeries& s, const ValidationConfig& cfg, TimeMs since) {
    Collector c("spread", cfg.max_examples, since);
    if (!s.has_spread())
        return c.finish("no spread column (nothing to check)");
    const std::size_t n = s.size();
    std::int64_t zeros = 0, checked = 0; // of the bars from `since` (context bars set the scale)
    std::vector<double> pos;
    pos.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double sp = s.spread[i];
        checked += s.time[i] >= since ? 1 : 0;
        if (!std::isfinite(sp) || sp < 0)
            c.add(s.time[i], Severity::Fail,
                  fmt::format("spread {} is negative or non-finite", sp));
        else if (sp == 0)
            zeros += s.time[i] >= since ? 1 : 0;
        else
            pos.push_back(sp);
    }
    const std::int64_t bad = c.count();
    double med = 0, scale = 0;
    std::int64_t spikes = 0;
    if (pos.size() >= 3) {
        std::tie(med, scale) = robust_center_scale(pos);
        if (scale > 0)
            for (std::size_t i = 0; i < n; ++i) {
                const double sp = s.spread[i];
                if (!(sp > 0))
                    continue;
                const double z = (sp - med) / scale;
                if (z > cfg.spread_spike_z && s.time[i] >= since) {
                    ++spikes;
                    c.add(s.time[i], Severity::Warn,
                          fmt::format("spread {} is {:.1f} robust z above the median {}", sp, z,
                                      med));
                }
            }
    }
    const double zero_frac =
        checked ? static_cast<double>(zeros) / static_cast<double>(checked) : 0.0;
    if (zeros > 0)
        c.escalate(zero_frac > cfg.spread_fail_zero_fraction ? Severity::Fail : Severity::Warn);
    if (c.count() == 0 && zeros == 0)
        return c.finish(fmt::format("spreads positive, median {}, no spikes", med));
    return c.finish(
        fmt::format("{} negative/non-finite, {} zero ({}; FAIL above {}), {} spikes above "
                    "robust z {} (median {})",
                    num(bad), num(zeros), pct(zero_frac), pct(cfg.spread_fail_zero_fraction),
                    num(spikes), cfg.spread_spike_z, med));
}

bool sorted_unique(const BarSeries& s) {
    for (std::size_t i = 1; i < s.size(); ++i)
        if (s.time[i] <= s.time[i - 1])
            return false;
    return true;
}

/// The series in time order with the first occurrence of each open time.
BarSeries sorted_dedup(const BarSeries& s) {
    std::vector<std::size_t> idx(s.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return s.time[a] < s.time[b]; });
    BarSeries out;
    out.symbol = s.symbol;
    out.timeframe = s.timeframe;
    out.has_spread_column = s.has_spread_column;
    out.reserve(s.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
        if (k > 0 && s.time[idx[k]] == s.time[idx[k - 1]])
            continue;
        out.push_back(s.at(idx[k]));
    }
    return out;
}

} // namespace

ValidationReport validate_series(const BarSeries& bars, const Instrument& instrument,
                                 const ValidationConfig& config, TimeMs since) {
    if (bars.open.size() != bars.size() || bars.high.size() != bars.size() ||
        bars.low.size() != bars.size() || bars.close.size() != bars.size() ||
        bars.volume.size() != bars.size() ||
        (bars.has_spread() && bars.spread.size() != bars.size()))
        throw InvariantError("validate: series " + bars.symbol + " has columns of different lengths");
    ValidationReport rep;
    rep.symbol = bars.symbol.empty() ? instrument.symbol : bars.symbol;
    rep.timeframe = bars.timeframe;
    rep.since = since == INT64_MIN ? 0 : since;
    rep.checks.push_back(check_ohlc(bars, config, since));
    rep.checks.push_back(check_duplicates(bars, config, since));
    rep.checks.push_back(check_ordering(bars, config, since));

    // The remaining checks reason about neighbours, so they run on the time-ordered series.
    BarSeries copy;
    const bool clean = sorted_unique(bars);
    if (!clean)
        copy = sorted_dedup(bars);
    const BarSeries& s = clean ? bars : copy;
    const auto first_new = std::lower_bound(s.time.begin(), s.time.end(), since);
    rep.bars = s.time.end() - first_new;
    if (rep.bars > 0) {
        rep.first = *first_new;
        rep.last = s.time.back();
    }
    rep.checks.push_back(check_alignment(s, config, since));
    GapOutcome g = check_gaps_and_sessions(s, instrument.sessions, config, since);
    rep.checks.push_back(std::move(g.gaps));
    rep.checks.push_back(std::move(g.sessions));
    rep.gaps = std::move(g.list);
    rep.checks.push_back(check_outliers(s, g.missing_before, config, since));
    rep.checks.push_back(check_zero_volume(s, config, since));
    rep.checks.push_back(check_stale(s, config, since));
    rep.checks.push_back(check_spread(s, config, since));
    if (since != INT64_MIN && rep.bars == 0) {
        Collector c("new_bars", 0, INT64_MIN);
        c.escalate(Severity::Warn);
        rep.checks.push_back(c.finish("no bars since " + format_time(since) +
                                      (s.empty() ? std::string()
                                                 : "; the newest is " + format_time(s.time.back())) +
                                      " (a stale feed?)"));
    }
    return rep;
}

std::string format_report(const ValidationReport& r) {
    std::string out = fmt::format("{} {}: {} bars", r.symbol, r.timeframe.name(), num(r.bars));
    if (r.since)
        out += " since " + format_time(r.since);
    if (r.bars > 0)
        out += ", " + format_time(r.first) + " .. " + format_time(r.last);
    out += ": " + to_string(r.status()) + "\n";
    for (const auto& c : r.checks) {
        out += fmt::format("  {}  {:<12}{}\n", to_string(c.status), c.name, c.summary);
        if (c.status == Severity::Pass)
            continue;
        for (const auto& f : c.examples)
            out += fmt::format("          {} {}  {}\n", to_string(f.severity), format_time(f.time),
                               f.message);
        if (c.count > static_cast<std::int64_t>(c.examples.size()) && !c.examples.empty())
            out += fmt::format("          ... {} more\n",
                               num(c.count - static_cast<std::int64_t>(c.examples.size())));
    }
    return out;
}

nlohmann::json report_to_json(const ValidationReport& r) {
    nlohmann::json gaps = nlohmann::json::array();
    for (const GapInfo& g : r.gaps)
        gaps.push_back({{"from", format_iso(g.from)},
                        {"until", format_iso(g.until)},
                        {"missing_bars", g.missing},
                        {"open_market_hours", static_cast<double>(g.open_market) / kMsPerHour},
                        {"open_market", format_duration(g.open_market)},
                        {"severity", to_string(g.severity)}});
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : r.checks) {
        nlohmann::json ex = nlohmann::json::array();
        for (const auto& f : c.examples)
            ex.push_back({{"time", format_iso(f.time)},
                          {"severity", to_string(f.severity)},
                          {"message", f.message}});
        checks.push_back({{"name", c.name},
                          {"status", to_string(c.status)},
                          {"count", c.count},
                          {"summary", c.summary},
                          {"examples", ex}});
    }
    return {{"symbol", r.symbol},
            {"timeframe", r.timeframe.name()},
            {"bars", r.bars},
            {"first", r.bars ? nlohmann::json(format_iso(r.first)) : nlohmann::json()},
            {"last", r.bars ? nlohmann::json(format_iso(r.last)) : nlohmann::json()},
            {"since", r.since ? nlohmann::json(format_iso(r.since)) : nlohmann::json()},
            {"status", to_string(r.status())},
            {"checks", checks},
            {"gaps", gaps}};
}

} // namespace aurum
