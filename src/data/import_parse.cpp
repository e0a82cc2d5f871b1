// Parsers behind parse_file/parse_buffer: a streaming driver, a validating bar sink, one
// delimited-text parser configured per format (generic CSV, Binance klines, MT5) and a
// hand-written scanner for freqtrade JSON.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/import.hpp"
#include "data/import_reader.hpp"
#include "data/import_scan.hpp"

namespace aurum {

using namespace import_detail;

std::string to_string(ImportFormat f) {
    switch (f) {
    case ImportFormat::Auto:
        return "auto";
    case ImportFormat::FreqtradeJson:
        return "freqtrade-json";
    case ImportFormat::Csv:
        return "csv";
    case ImportFormat::BinanceCsv:
        return "binance-csv";
    case ImportFormat::Mt5:
        return "mt5";
    }
    return "auto";
}

std::optional<ImportFormat> parse_import_format(std::string_view s) {
    for (ImportFormat f : {ImportFormat::Auto, ImportFormat::FreqtradeJson, ImportFormat::Csv,
                           ImportFormat::BinanceCsv, ImportFormat::Mt5})
        if (s == to_string(f))
            return f;
    if (s == "json" || s == "freqtrade")
        return ImportFormat::FreqtradeJson;
    if (s == "binance")
        return ImportFormat::BinanceCsv;
    if (s == "metatrader" || s == "metatrader5")
        return ImportFormat::Mt5;
    return std::nullopt;
}

std::string import_format_choices() {
    return "auto|freqtrade-json|csv|binance-csv|mt5";
}

namespace {

/// Longest record (line or JSON row) the parsers accept; protects memory on a binary file.
constexpr std::size_t kMaxRecordBytes = 16u << 20;

/// A value quoted for a message: at most 40 characters, control bytes escaped.
std::string quote_value(const char* b, const char* e) {
    std::string out = "'";
    std::size_t n = 0;
    for (const char* p = b; p != e; ++p, ++n) {
        if (n == 40) {
            out += "...";
            break;
        }
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7F)
            out += fmt::format("\\x{:02x}", c);
        else
            out.push_back(static_cast<char>(c));
    }
    return out + "'";
}

std::string sep_name(char sep) {
    switch (sep) {
    case '\t':
        return "tab";
    case ',':
        return "','";
    case ';':
        return "';'";
    case '|':
        return "'|'";
    default:
        return fmt::format("'{}'", sep);
    }
}

TimeMs floor_mod(TimeMs a, TimeMs m) {
    const TimeMs r = a % m;
    return r < 0 ? r + m : r;
}

/// Validates bars as they are parsed, collects them in chunks and hands full chunks on.
class BarSink {
  public:
    BarSink(const ImportOptions& opt, const std::string& name, const BarChunkFn& fn,
            FileImportReport& rep)
        : opt_(opt), name_(name), fn_(fn), rep_(rep) {
        tf_ = opt.timeframe.ms();
        if (tf_ <= 0)
            throw InvariantError("import: timeframe must be positive");
        grid_ = kMsPerDay % tf_ == 0 ? tf_ : std::gcd(tf_, kMsPerDay);
        chunk_.symbol = opt.symbol;
        chunk_.timeframe = opt.timeframe;
        chunk_size_ = std::max<std::size_t>(1, opt.chunk_rows);
    }

    void set_spread(bool has) {
        chunk_.has_spread_column = has;
        chunk_.reserve(std::min<std::size_t>(chunk_size_, 1 << 16));
    }

    const std::string& name() const { return name_; }

    /// Where a row is, for messages: "file:line" plus the JSON record number when known.
    std::string where(std::size_t line, std::size_t record) const {
        if (record)
            return fmt::format("{}:{} (record {})", name_, line, record);
        return fmt::format("{}:{}", name_, line);
    }

    /// A row that cannot be used: fails the file, or under --skip-invalid counts and records it.
    void reject(std::size_t line, std::size_t record, const std::string& why) {
        ++rep_.rows_read;
        if (!opt_.skip_invalid)
            throw InputError(where(line, record) + ": " + why);
        ++rep_.rows_skipped;
        if (rep_.skipped_examples.size() < opt_.max_skip_examples)
            rep_.skipped_examples.push_back(
                SkippedRow{line, record ? fmt::format("record {}: {}", record, why) : why});
    }

    /// Structural problems (bad header, broken JSON) are never skippable.
    [[noreturn]] void fail(std::size_t line, const std::string& why) const {
        throw InputError(where(line, 0) + ": " + why);
    }

    /// `t` is UTC when `local` is false, else source (broker/local) time shifted by tz_offset.
    void add(TimeMs t_src, bool local, double o, double h, double l, double c, double v,
             double spread, std::size_t line, std::size_t record = 0) {
        const TimeMs t = local ? t_src - opt_.tz_offset : t_src;
        // The price checks are written so NaN fails them too.
        if (!(o > 0) || !(h > 0) || !(l > 0) || !(c > 0) || !std::isfinite(o) ||
            !std::isfinite(h) || !std::isfinite(l) || !std::isfinite(c)) {
            const char* names[] = {"open", "high", "low", "close"};
            const double vals[] = {o, h, l, c};
            for (int i = 0; i < 4; ++i)
                if (!(vals[i] > 0) || !std::isfinite(vals[i]))
                    return reject(line, record,
                                  fmt::format("column '{}' value {}: a price must be a positive "
                                              "finite number",
                                              names[i], vals[i]));
        }
        if (!(v >= 0) || !std::isfinite(v))
            return reject(line, record,
                          fmt::format("column 'volume' value {}: volume must be >= 0", v));
        if (!(spread >= 0) || !std::isfinite(spread))
            return reject(line, record,
                          fmt::format("column 'spread' value {}: spread must be >= 0", spread));
        if (h < l)
            return reject(line, record, fmt::format("high {} is below low {}", h, l));
        if (h < std::max(o, c))
            return reject(line, record,
                          fmt::format("high {} is below max(open {}, close {})", h, o, c));
        if (l > std::min(o, c))
            return reject(line, record,
                          fmt::format("low {} is above min(open {}, close {})", l, o, c));
        // The grid is the source's: an MT5 D1 bar opens at 00:00 broker time, not UTC.
        const TimeMs grid_t = local ? t_src : t;
        if (floor_mod(grid_t, grid_) != 0)
            return reject(line, record,
                          fmt::format("time {}{} is not on the {} grid (check --timeframe)",
                                      format_time(t_src),
                                      local && opt_.tz_offset ? " (source time)" : "",
                                      opt_.timeframe.name()));
        if (have_prev_) {
            if (t == prev_)
                return reject(
                    line, record,
                    fmt::format("duplicate time {} (same as line {})", format_time(t), prev_line_));
            if (t < prev_)
                return reject(line, record,
                              fmt::format("time {} is before the previous bar's {} (line {}): "
                                          "rows must be in ascending time order",
                                          format_time(t), format_time(prev_), prev_line_));
            if (t - prev_ < tf_)
                return reject(line, record,
                              fmt::format("time {} is only {} after the previous bar (line {}), "
                                          "less than the {} timeframe",
                                          format_time(t), format_duration(t - prev_), prev_line_,
                                          opt_.timeframe.name()));
        }
        ++rep_.rows_read;
        if (!have_prev_)
            rep_.first = t;
        have_prev_ = true;
        prev_ = t;
        prev_line_ = line;
        rep_.last = t;
        ++rep_.rows_written;
        chunk_.time.push_back(t);
        chunk_.open.push_back(o);
        chunk_.high.push_back(h);
        chunk_.low.push_back(l);
        chunk_.close.push_back(c);
        chunk_.volume.push_back(v);
        if (chunk_.has_spread_column)
            chunk_.spread.push_back(spread);
        if (chunk_.time.size() >= chunk_size_)
            flush();
    }

    void finish() {
        flush();
        if (rep_.rows_written > 0)
            return;
        if (rep_.rows_read == 0)
            throw InputError(name_ + ": no data rows (empty file)");
        throw InputError(fmt::format("{}: all {} data rows are invalid (first: line {}: {})", name_,
                                     rep_.rows_read, rep_.skipped_examples.at(0).line,
                                     rep_.skipped_examples.at(0).reason));
    }

  private:
    void flush() {
        if (chunk_.time.empty())
            return;
        if (fn_)
            fn_(chunk_);
        chunk_.clear();
    }

    const ImportOptions& opt_;
    const std::string& name_;
    const BarChunkFn& fn_;
    FileImportReport& rep_;
    BarSeries chunk_;
    std::size_t chunk_size_ = 65536;
    TimeMs tf_ = 0, grid_ = 0;
    bool have_prev_ = false;
    TimeMs prev_ = 0;
    std::size_t prev_line_ = 0;
};

/// Turns complete records of the decoded text into bars.
class RecordParser {
  public:
    virtual ~RecordParser() = default;
    /// Parses the complete records at the start of `text` (and, when `final`, the unterminated
    /// last one); returns the number of bytes consumed.
    virtual std::size_t consume(std::string_view text, bool final) = 0;
};

// ---------------------------------------------------------------------------------------------
// Delimited text: generic CSV, Binance klines, MT5 exports.

enum class Role : std::uint8_t {
    Ignore,
    Time,
    Date,
    Clock,
    Open,
    High,
    Low,
    Close,
    Volume,
    Spread
};

const char* role_name(Role r) {
    switch (r) {
    case Role::Time:
        return "time";
    case Role::Date:
        return "date";
    case Role::Clock:
        return "time of day";
    case Role::Open:
        return "open";
    case Role::High:
        return "high";
    case Role::Low:
        return "low";
    case Role::Close:
        return "close";
    case Role::Volume:
        return "volume";
    case Role::Spread:
        return "spread";
    default:
        return "?";
    }
}

void trim(const char*& b, const char*& e) {
    while (b != e && (*b == ' ' || *b == '\t' || *b == '\r'))
        ++b;
    while (e != b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        --e;
    if (e - b >= 2 && *b == '"' && e[-1] == '"') {
        ++b;
        --e;
    }
}

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t p = sep ? line.find(sep, start) : std::string_view::npos;
        if (p == std::string_view::npos) {
            out.push_back(line.substr(start));
            return out;
        }
        out.push_back(line.substr(start, p - start));
        start = p + 1;
    }
}

std::string_view trimmed(std::string_view s) {
    const char* b = s.data();
    const char* e = b + s.size();
    trim(b, e);
    return {b, static_cast<std::size_t>(e - b)};
}

/// Lower-case letters and digits only: "<TICKVOL>" -> "tickvol", "Open Time" -> "opentime".
std::string normalize_name(std::string_view s) {
    std::string out;
    for (char c : s) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u))
            out.push_back(static_cast<char>(std::tolower(u)));
    }
    return out;
}

/// Most frequent of the separators we accept; 0 when the line has none.
char choose_separator(std::string_view line) {
    char best = 0;
    std::size_t best_n = 0;
    for (char sep : {'\t', ',', ';', '|'}) {
        const auto n = static_cast<std::size_t>(std::count(line.begin(), line.end(), sep));
        if (n > best_n) {
            best = sep;
            best_n = n;
        }
    }
    return best;
}

/// True when the field is a timestamp (text date or epoch integer) rather than a column name.
bool looks_like_time(std::string_view f) {
    f = trimmed(f);
    std::int64_t days = 0, n = 0;
    if (parse_date_prefix(f.data(), f.data() + f.size(), days))
        return true;
    double d = 0;
    return parse_int(f.data(), f.data() + f.size(), n) ||
           parse_double(f.data(), f.data() + f.size(), d);
}

bool is_epoch_integer(std::string_view f) {
    f = trimmed(f);
    std::int64_t n = 0;
    return f.size() >= 9 && parse_int(f.data(), f.data() + f.size(), n) && n > 0;
}

class DelimitedParser final : public RecordParser {
  public:
    DelimitedParser(ImportFormat fmt, BarSink& sink, const ImportOptions& opt)
        : fmt_(fmt), sink_(sink), point_(opt.point) {}

    std::size_t consume(std::string_view text, bool final) override {
        const char* const begin = text.data();
        const char* const end = begin + text.size();
        const char* p = begin;
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
            if (!nl) {
                if (!final)
                    break;
                nl = end;
            }
            ++line_;
            const char* le = nl;
            if (le > p && le[-1] == '\r')
                --le;
            handle_line(p, le);
            p = nl == end ? end : nl + 1;
        }
        return static_cast<std::size_t>(p - begin);
    }

  private:
    static bool blank(const char* b, const char* e) {
        for (; b != e; ++b)
            if (*b != ' ' && *b != '\t' && *b != '\r')
                return false;
        return true;
    }

    void handle_line(const char* b, const char* e) {
        if (blank(b, e))
            return;
        if (!ready_) {
            ready_ = true;
            if (setup(std::string_view(b, static_cast<std::size_t>(e - b))))
                return; // header
        }
        parse_line(b, e);
    }

    /// Maps header names to roles. Returns false (and leaves roles_ empty) when a required
    /// column is missing; `missing` then names it.
    bool map_header(const std::vector<std::string_view>& fields, std::string& missing) {
        std::vector<std::string> names;
        for (auto f : fields)
            names.push_back(normalize_name(f));
        auto find = [&](std::initializer_list<const char*> candidates) -> int {
            for (const char* c : candidates)
                for (std::size_t i = 0; i < names.size(); ++i)
                    if (names[i] == c)
                        return static_cast<int>(i);
            return -1;
        };
        roles_.assign(fields.size(), Role::Ignore);
        const int ts =
            find({"timestamp", "datetime", "opentime", "timeopen", "ts", "unixtime", "unix",
                  "timestamputc", "datetimeutc", "timeutc", "dateutc", "gmttime", "localtime"});
        const int date = find({"date", "day"});
        const int clock = find({"time", "hour"});
        if (ts >= 0) {
            roles_[ts] = Role::Time;
        } else if (date >= 0 && clock >= 0) {
            roles_[date] = Role::Date;
            roles_[clock] = Role::Clock;
        } else if (date >= 0) {
            roles_[date] = Role::Time;
        } else if (clock >= 0) {
            roles_[clock] = Role::Time;
        } else {
            missing = "time (timestamp/time/date/open_time)";
            return false;
        }
        struct Wanted {
            Role role;
            const char* a;
            const char* b;
            const char* c;
        };
        static constexpr Wanted wanted[] = {
            {Role::Open, "open", "o", "openprice"},
            {Role::High, "high", "h", "highprice"},
            {Role::Low, "low", "l", "lowprice"},
            {Role::Close, "close", "c", "closeprice"},
        };
        for (const Wanted& w : wanted) {
            const int i = find({w.a, w.b, w.c});
            if (i < 0 || roles_[i] != Role::Ignore) {
                missing = role_name(w.role);
                return false;
            }
            roles_[i] = w.role;
        }
        // MT5's <VOL> (real volume) is 0 for most symbols; <TICKVOL> is the usable volume.
        const int vol = fmt_ == ImportFormat::Mt5
                            ? find({"tickvol", "tickvolume", "volume", "vol", "realvolume"})
                            : find({"volume", "vol", "v", "basevolume", "volumebase", "tickvol",
                                    "tickvolume", "realvolume"});
        if (vol < 0 || roles_[vol] != Role::Ignore) {
            missing = "volume";
            return false;
        }
        roles_[vol] = Role::Volume;
        const int spread = find({"spread"});
        if (spread >= 0 && roles_[spread] == Role::Ignore)
            roles_[spread] = Role::Spread;
        return true;
    }

    /// Configures the layout from the first non-blank line. Returns true when it was a header.
    bool setup(std::string_view line) {
        sep_ = fmt_ == ImportFormat::BinanceCsv ? ',' : choose_separator(line);
        if (fmt_ == ImportFormat::Mt5 && line.find('\t') != std::string_view::npos)
            sep_ = '\t';
        if (!sep_)
            sink_.fail(line_, fmt::format("cannot find a column separator (tab, ',', ';' or '|') "
                                          "in {}",
                                          quote_value(line.data(), line.data() + line.size())));
        const auto fields = split(line, sep_);
        const bool header = !looks_like_time(fields[0]);
        if (header) {
            header_fields_ = fields.size();
            std::string missing;
            if (!map_header(fields, missing)) {
                std::string cols;
                for (auto f : fields)
                    cols += (cols.empty() ? "" : ", ") + std::string(trimmed(f));
                sink_.fail(line_, fmt::format("the header has no {} column (columns: {}; separator "
                                              "{})",
                                              missing, cols.substr(0, 300), sep_name(sep_)));
            }
        } else if (fmt_ == ImportFormat::Mt5) {
            // Headerless MT5: DATE TIME O H L C TICKVOL VOL SPREAD, or the D1 form without TIME.
            std::int64_t days = 0;
            TimeMs ms = 0;
            const auto f1 = fields.size() > 1 ? trimmed(fields[1]) : std::string_view{};
            const bool has_clock = parse_clock(f1.data(), f1.data() + f1.size(), ms);
            (void)days;
            if (has_clock)
                roles_ = {Role::Date,  Role::Clock,  Role::Open,   Role::High,  Role::Low,
                          Role::Close, Role::Volume, Role::Ignore, Role::Spread};
            else
                roles_ = {Role::Time,  Role::Open,   Role::High,   Role::Low,
                          Role::Close, Role::Volume, Role::Ignore, Role::Spread};
            if (fields.size() < roles_.size())
                roles_.resize(has_clock ? 7 : 6);
        } else {
            // Binance klines and headerless CSV: time, open, high, low, close, volume first.
            roles_ = {Role::Time, Role::Open, Role::High, Role::Low, Role::Close, Role::Volume};
        }
        needed_ = 0;
        for (std::size_t i = 0; i < roles_.size(); ++i)
            if (roles_[i] != Role::Ignore)
                needed_ = i + 1;
        roles_.resize(needed_);
        const bool spread = std::find(roles_.begin(), roles_.end(), Role::Spread) != roles_.end();
        spread_points_ = fmt_ == ImportFormat::Mt5;
        has_date_ = std::find(roles_.begin(), roles_.end(), Role::Date) != roles_.end();
        sink_.set_spread(spread);
        return header;
    }

    bool parse_time_field(const char* b, const char* e, TimeMs& t, bool& local) {
        if (e - b >= 10 && (b[4] == '-' || b[4] == '.' || b[4] == '/')) {
            // Intraday bars repeat their date: reuse the last date's day number.
            std::int64_t days = 0;
            if (have_last_date_ && std::memcmp(b, last_date_, 10) == 0) {
                days = last_days_;
            } else {
                if (!parse_date_prefix(b, e, days))
                    return false;
                std::memcpy(last_date_, b, 10);
                last_days_ = days;
                have_last_date_ = true;
            }
            bool zone = false;
            if (!parse_time_after_date(b + 10, e, days, t, zone))
                return false;
            local = !zone;
            return true;
        }
        std::int64_t n = 0;
        if (parse_int(b, e, n)) {
            t = epoch_to_ms(n);
            local = false;
            return true;
        }
        double d = 0;
        if (parse_double(b, e, d) && std::isfinite(d) && std::fabs(d) < 9e17) {
            // Fractional epoch: seconds (or ms/us) by magnitude, like integers.
            const double a = std::fabs(d);
            const double ms = a < 1e11 ? d * 1000 : a < 1e14 ? d : a < 1e17 ? d / 1000 : d / 1e6;
            t = static_cast<TimeMs>(std::llround(ms));
            local = false;
            return true;
        }
        return false;
    }

    void bad_field(std::size_t idx, const char* b, const char* e, const char* what) {
        sink_.reject(line_, 0,
                     fmt::format("column {} ({}) value {}: {}", idx + 1, role_name(roles_[idx]),
                                 quote_value(b, e), what));
    }

    void parse_line(const char* b, const char* e) {
        double v[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // indexed by Role
        TimeMs t = 0, clock = 0;
        std::int64_t days = 0;
        bool local = true;
        const char* f = b;
        for (std::size_t idx = 0; idx < needed_; ++idx) {
            // Fields are short: a plain loop beats a memchr call per field.
            const char* fe = f;
            while (fe < e && *fe != sep_)
                ++fe;
            const Role r = roles_[idx];
            if (r != Role::Ignore) {
                const char* fb = f;
                const char* fend = fe;
                trim(fb, fend);
                switch (r) {
                case Role::Time:
                    if (!parse_time_field(fb, fend, t, local))
                        return bad_field(idx, fb, fend, "not a date/time or epoch timestamp");
                    break;
                case Role::Date:
                    // Consecutive intraday bars share their date: reuse the last conversion.
                    if (have_last_date_ && fend - fb == 10 &&
                        std::memcmp(fb, last_date_, 10) == 0) {
                        days = last_days_;
                    } else {
                        if (parse_date_prefix(fb, fend, days) != fend || fb == fend)
                            return bad_field(idx, fb, fend,
                                             "not a date (YYYY-MM-DD or YYYY.MM.DD)");
                        if (fend - fb == 10) {
                            std::memcpy(last_date_, fb, 10);
                            last_days_ = days;
                            have_last_date_ = true;
                        }
                    }
                    break;
                case Role::Clock:
                    if (!parse_clock(fb, fend, clock))
                        return bad_field(idx, fb, fend, "not a time of day (HH:MM[:SS])");
                    break;
                default: {
                    double x = 0;
                    if (!parse_double(fb, fend, x))
                        return bad_field(idx, fb, fend,
                                         spells_non_finite(fb, fend) ? "not a finite number"
                                         : fb == fend                ? "empty value"
                                                                     : "not a number");
                    v[static_cast<int>(r)] = x;
                }
                }
            }
            if (fe == e && idx + 1 < needed_)
                return sink_.reject(
                    line_, 0,
                    fmt::format("expected at least {} columns separated by {}, found {} "
                                "(truncated line?): {}",
                                needed_, sep_name(sep_), idx + 1, quote_value(b, e)));
            f = fe + 1;
        }
        if (header_fields_ > 0 && f <= e) {
            // Columns past the last one read: a row wider than its header is misaligned data.
            std::size_t fields = needed_ + 1;
            for (const char* c = f; c < e; ++c)
                fields += *c == sep_;
            if (fields > header_fields_)
                return sink_.reject(line_, 0,
                                    fmt::format("{} columns but the header has {}: {}", fields,
                                                header_fields_, quote_value(b, e)));
        }
        if (has_date_) {
            t = days * kMsPerDay + clock;
            local = true;
        }
        double spread = v[static_cast<int>(Role::Spread)];
        if (spread_points_)
            spread *= point_;
        sink_.add(t, local, v[static_cast<int>(Role::Open)], v[static_cast<int>(Role::High)],
                  v[static_cast<int>(Role::Low)], v[static_cast<int>(Role::Close)],
                  v[static_cast<int>(Role::Volume)], spread, line_);
    }

    ImportFormat fmt_;
    BarSink& sink_;
    double point_;
    bool ready_ = false;
    char sep_ = ',';
    bool spread_points_ = false;
    bool has_date_ = false; ///< split date + time-of-day columns
    std::vector<Role> roles_;
    std::size_t needed_ = 0;
    std::size_t header_fields_ = 0; ///< columns of the header line; 0 without a header
    std::size_t line_ = 0;
    bool have_last_date_ = false;
    char last_date_[10] = {};
    std::int64_t last_days_ = 0;
};

// ---------------------------------------------------------------------------------------------
// freqtrade JSON: [[ms, open, high, low, close, volume], ...], scanned record by record.

class JsonParser final : public RecordParser {
  public:
    explicit JsonParser(BarSink& sink) : sink_(sink) { sink_.set_spread(false); }

    std::size_t consume(std::string_view text, bool final) override {
        begin_ = text.data();
        const char* const end = begin_ + text.size();
        done_ = begin_;
        const char* p = begin_;
        while (true) {
            p = skip_ws(p, end);
            if (p == end)
                break;
            if (state_ == State::Start) {
                if (*p != '[')
                    sink_.fail(line_at(p), fmt::format("expected '[' (a freqtrade JSON array of "
                                                       "[ms, open, high, low, close, volume]), "
                                                       "found {}",
                                                       quote_value(p, std::min(p + 20, end))));
                state_ = State::InArray;
                commit(p + 1);
                p = done_;
                continue;
            }
            if (state_ == State::Done)
                sink_.fail(line_at(p), fmt::format("unexpected text after the closing ']': {}",
                                                   quote_value(p, std::min(p + 20, end))));
            // In the outer array: ']' ends it, else [","] "[" values "]".
            if (*p == ']') {
                state_ = State::Done;
                commit(p + 1);
                p = done_;
                continue;
            }
            const char* q = p;
            if (!first_) {
                if (*q != ',')
                    sink_.fail(line_at(q), fmt::format("expected ',' or ']' between records, "
                                                       "found {}",
                                                       quote_value(q, std::min(q + 20, end))));
                q = skip_ws(q + 1, end);
                if (q == end)
                    break;
            }
            if (*q != '[')
                sink_.fail(line_at(q),
                           fmt::format("expected '[' to start record {}, found {}", record_ + 1,
                                       quote_value(q, std::min(q + 20, end))));
            const char* close = static_cast<const char*>(std::memchr(q, ']', end - q));
            if (!close) {
                if (!final)
                    break;
                sink_.fail(line_at(q), fmt::format("record {} is not closed with ']' (truncated "
                                                   "file?)",
                                                   record_ + 1));
            }
            ++record_;
            parse_record(q + 1, close);
            first_ = false;
            commit(close + 1);
            p = close + 1;
        }
        if (final && state_ != State::Done) {
            if (state_ == State::Start)
                return text.size(); // empty: the sink reports it
            sink_.fail(line_at(end), "the JSON array is not closed with ']' (truncated file?)");
        }
        const std::size_t used = static_cast<std::size_t>(done_ - begin_);
        return used;
    }

  private:
    enum class State { Start, InArray, Done };

    static const char* skip_ws(const char* p, const char* end) {
        while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
        return p;
    }

    std::size_t line_at(const char* p) const {
        return line_ + static_cast<std::size_t>(std::count(done_, p, '\n'));
    }

    void commit(const char* p) {
        line_ = line_at(p);
        done_ = p;
    }

    void parse_record(const char* b, const char* e) {
        static const char* kNames[] = {"time", "open", "high", "low", "close", "volume"};
        double v[6] = {0, 0, 0, 0, 0, 0};
        TimeMs t = 0;
        const std::size_t line = line_at(b);
        std::size_t n = 0;
        const char* p = b;
        while (true) {
            const char* vb = skip_ws(p, e);
            const char* ve = static_cast<const char*>(std::memchr(vb, ',', e - vb));
            const char* next = ve ? ve + 1 : nullptr;
            if (!ve)
                ve = e;
            const char* tb = vb;
            const char* te = ve;
            while (te != tb &&
                   (te[-1] == ' ' || te[-1] == '\n' || te[-1] == '\r' || te[-1] == '\t'))
                --te;
            if (tb == te && n == 0 && !next)
                break; // "[]"
            if (te - tb >= 2 && *tb == '"' && te[-1] == '"') {
                ++tb;
                --te;
            }
            if (n < 6) {
                if (te - tb == 4 && std::memcmp(tb, "null", 4) == 0) {
                    // freqtrade mark/index candles carry a null volume: no volume, i.e. 0.
                    if (n != 5)
                        return sink_.reject(line, record_,
                                            fmt::format("column '{}' is null", kNames[n]));
                } else if (n == 0) {
                    std::int64_t ms = 0;
                    double d = 0;
                    if (parse_int(tb, te, ms)) {
                        t = epoch_to_ms(ms);
                    } else if (parse_double(tb, te, d) && std::fabs(d) < 9e17) {
                        t = epoch_to_ms(static_cast<std::int64_t>(std::llround(d)));
                    } else {
                        return sink_.reject(line, record_,
                                            fmt::format("column 'time' value {}: not an epoch "
                                                        "timestamp",
                                                        quote_value(tb, te)));
                    }
                } else if (!parse_double(tb, te, v[n])) {
                    return sink_.reject(
                        line, record_,
                        fmt::format("column '{}' value {}: {}", kNames[n], quote_value(tb, te),
                                    spells_non_finite(tb, te) ? "not a finite number"
                                                              : "not a number"));
                }
            }
            ++n;
            if (!next)
                break;
            p = next;
        }
        if (n < 6)
            return sink_.reject(line, record_,
                                fmt::format("record has {} values, expected 6 [ms, open, high, "
                                            "low, close, volume]",
                                            n));
        sink_.add(t, false, v[1], v[2], v[3], v[4], v[5], 0.0, line, record_);
    }

    BarSink& sink_;
    State state_ = State::Start;
    bool first_ = true;
    std::size_t record_ = 0;
    std::size_t line_ = 1;
    const char* begin_ = nullptr;
    const char* done_ = nullptr;
};

std::unique_ptr<RecordParser> make_parser(ImportFormat f, BarSink& sink, const ImportOptions& o) {
    if (f == ImportFormat::FreqtradeJson)
        return std::make_unique<JsonParser>(sink);
    return std::make_unique<DelimitedParser>(f, sink, o);
}

std::string first_line_of(std::string_view head) {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return std::string(line);
}

FileImportReport parse_input(ByteInput& in, const std::string& name, const ImportOptions& opt,
                             const BarChunkFn& on_chunk) {
    FileImportReport rep;
    rep.file = name;
    rep.symbol = opt.symbol;
    rep.timeframe = opt.timeframe;
    DecodingReader reader(in, opt.block_bytes);
    std::string buf;
    bool eof = false;
    // Enough of the start to see the first line (format detection, header).
    while (!eof && buf.find('\n') == std::string::npos && buf.size() < 65536)
        eof = !reader.read_more(buf);
    ImportFormat fmt = opt.format;
    if (fmt == ImportFormat::Auto)
        fmt = detect_format(buf, name);
    if (opt.tz_offset != 0 &&
        (fmt == ImportFormat::FreqtradeJson || fmt == ImportFormat::BinanceCsv))
        throw InputError(fmt::format("--tz-offset does not apply to {} ({}): its epoch "
                                     "timestamps are UTC already",
                                     name, to_string(fmt)));
    rep.format = fmt;
    BarSink sink(opt, name, on_chunk, rep);
    auto parser = make_parser(fmt, sink, opt);
    while (true) {
        const std::size_t used = parser->consume(buf, eof);
        buf.erase(0, used);
        if (eof)
            break;
        if (buf.size() > kMaxRecordBytes)
            throw InputError(fmt::format("{}: a record longer than {} MB (no line end found); is "
                                         "this a {} file?",
                                         name, kMaxRecordBytes >> 20, to_string(fmt)));
        eof = !reader.read_more(buf);
    }
    sink.finish();
    return rep;
}

} // namespace

ImportFormat detect_format(std::string_view head, const std::string& name) {
    std::size_t i = 0;
    while (i < head.size() &&
           (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        ++i;
    head.remove_prefix(i);
    if (head.empty())
        throw InputError(name + ": no data rows (empty file)");
    if (head[0] == '[')
        return ImportFormat::FreqtradeJson;
    const std::string line = first_line_of(head);
    if (line.size() > 1 && line[0] == '<' && line.find('>') != std::string::npos)
        return ImportFormat::Mt5;
    const char sep = choose_separator(line);
    const auto fields = split(line, sep);
    if (sep) {
        if (!looks_like_time(fields[0])) {
            int hits = 0;
            bool time = false;
            for (auto f : fields) {
                const std::string n = normalize_name(f);
                if (n == "open" || n == "high" || n == "low" || n == "close")
                    ++hits;
                if (n == "timestamp" || n == "time" || n == "date" || n == "datetime" ||
                    n == "opentime")
                    time = true;
            }
            if (hits >= 2 && time)
                return ImportFormat::Csv; // header errors named later
        } else {
            std::int64_t days = 0;
            TimeMs ms = 0;
            const auto f0 = trimmed(fields[0]);
            if (is_epoch_integer(f0) && fields.size() == 12)
                return ImportFormat::BinanceCsv;
            if (sep == '\t' && fields.size() >= 8 && f0.size() == 10 && f0[4] == '.' &&
                parse_date_prefix(f0.data(), f0.data() + f0.size(), days))
                return ImportFormat::Mt5;
            (void)ms;
            if (fields.size() >= 6)
                return ImportFormat::Csv;
        }
    }
    bool binary = false;
    for (char c : line)
        if (c == '\0')
            binary = true;
    throw InputError(fmt::format(
        "cannot tell the format of {}: the first line is {} ({} field{}{}{}). Expected a freqtrade "
        "JSON array [[ms, open, high, low, close, volume], ...], a CSV whose header names "
        "time/open/high/low/close/volume, 12-column Binance klines, or an MT5 export starting "
        "with <DATE>. Pass --format {}",
        name, quote_value(line.data(), line.data() + std::min<std::size_t>(line.size(), 80)),
        fields.size(), fields.size() == 1 ? "" : "s",
        sep ? " separated by " + sep_name(sep) : std::string(), binary ? ", binary data" : "",
        import_format_choices()));
}

FileImportReport parse_file(const std::string& path, const ImportOptions& options,
                            const BarChunkFn& on_chunk) {
    FileByteInput in(path);
    return parse_input(in, path, options, on_chunk);
}

FileImportReport parse_buffer(std::string_view bytes, const std::string& name,
                              const ImportOptions& options, const BarChunkFn& on_chunk) {
    MemoryByteInput in(bytes);
    return parse_input(in, name, options, on_chunk);
}

} // namespace aurum
