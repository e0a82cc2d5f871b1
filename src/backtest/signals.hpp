#pragma once
// Model outputs as a time series the `signals` strategy trades: target positions or
// probabilities per symbol, read as-of a bar. Record format in docs/backtesting.md ("Signals").
#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "data/database.hpp"

namespace aurum {

/// Per-symbol time series of signal values.
///
/// A record (time, symbol, value) means: at the close of the bar that opened at `time`, the
/// model's output for `symbol` is `value`. It is used from that bar's close on (never earlier)
/// until the next record. Kind Target: value = desired position as a signed fraction of equity
/// in [-1, 1]. Kind Probability: value = probability in [0, 1] that the price goes up.
class SignalSeries {
  public:
    enum class Kind : std::uint8_t { Target, Probability };
    struct Record {
        TimeMs time = 0;
        std::string symbol; ///< "" or "*": applies to every symbol
        double value = 0;
    };

    SignalSeries() = default;
    /// Validates values (finite; Target in [-1, 1]; Probability in [0, 1]) and sorts by time.
    /// Throws InputError naming the record.
    static SignalSeries from_records(std::vector<Record> records, Kind kind);
    /// CSV with a header: `time,symbol,target` or `time,symbol,probability` (the symbol column is
    /// optional). time: ISO/date text or epoch milliseconds. Throws InputError "file:line: ...".
    static SignalSeries load_csv(const std::filesystem::path& path);
    /// The same from CSV text; `name` is used in error messages ("name:line: ...").
    static SignalSeries parse_csv(std::string_view text, const std::string& name);
    /// Rows of a store table created by store_table(): columns (source, symbol, time, value, kind).
    static SignalSeries load_table(Database& db, const std::string& table,
                                   const std::string& source);
    /// Writes this series into `table` under `source` (replacing that source's rows), creating
    /// the table if needed. The models layer uses this to hand predictions to backtests.
    void store_table(Database& db, const std::string& table, const std::string& source) const;

    Kind kind() const { return kind_; }
    std::size_t size() const;
    /// Symbols with their own records ("*" for the catch-all).
    std::vector<std::string> symbols() const;
    /// Index for `symbol` (its own records, else the "*" records), or -1 when none apply.
    int index_of(const std::string& symbol) const;
    /// Value of the latest record of series `index` with time <= t; NaN before the first.
    double value_at(int index, TimeMs t) const;
    /// All records of series `index` (ascending time).
    const std::vector<TimeMs>& times(int index) const { return series_[index].time; }

  private:
    struct PerSymbol {
        std::string symbol;
        std::vector<TimeMs> time;
        std::vector<double> value;
    };
    Kind kind_ = Kind::Target;
    std::vector<PerSymbol> series_;
};

} // namespace aurum
