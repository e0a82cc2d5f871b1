#pragma once
// External daily signals (on-chain metrics, sentiment, any CSV series): their storage in the
// database, the CoinMetrics community API and alternative.me Fear & Greed clients, and CSV import.
// Values are joined onto bars as-of with a publication lag by the feature pipeline.
#include <filesystem>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "data/database.hpp"

namespace aurum {

/// One external series: observations stamped with the start of the period they describe
/// (a daily value of 2024-01-01 has time 2024-01-01T00:00Z and period 1 day).
struct ExternalSeries {
    std::string name;          ///< "coinmetrics:btc:CapMVRVCur", "fng:value", or a CSV's name
    TimeMs period_ms = kMsPerDay;
    std::vector<TimeMs> time;  ///< ascending, unique
    std::vector<double> value;

    std::size_t size() const { return time.size(); }
    /// When observation i may first be used: the end of its period plus a publication lag.
    TimeMs available_at(std::size_t i, TimeMs lag_ms) const { return time[i] + period_ms + lag_ms; }
    /// Sorts by time and checks values are finite and times unique (InputError naming the series).
    void normalize();
};

/// What the store holds for one external series.
struct ExternalSeriesInfo {
    std::string name;
    std::string source;
    TimeMs period_ms = kMsPerDay;
    TimeMs first = 0, last = 0;
    std::int64_t rows = 0;
};

/// External series in tables `external_series` / `external_observations` of the shared database
/// (SQLite or PostgreSQL; plain SQL with $n placeholders).
class ExternalStore {
public:
    explicit ExternalStore(Database& db); ///< creates the tables if needed
    /// Inserts or replaces the observations of a series in one transaction.
    std::int64_t upsert(const ExternalSeries& series, const std::string& source);
    /// Observations with time in range; InputError naming the series when it is unknown.
    ExternalSeries load(const std::string& name, TimeRange range = {});
    bool has(const std::string& name);
    std::vector<ExternalSeriesInfo> list();

private:
    Database& db_;
};

/// Reads a daily series from CSV: a header line, then `date,value` rows (any date form
/// parse_time accepts; extra columns ignored when `value_column` names the one to use).
/// Throws InputError naming file:line and field for anything malformed.
ExternalSeries import_external_csv(const std::filesystem::path& path, const std::string& name,
                                   const std::string& value_column = "");

/// Client of the CoinMetrics community API v4 (`/v4/timeseries/asset-metrics`).
class CoinMetricsClient {
public:
    /// base_url such as "https://community-api.coinmetrics.io" or "http://127.0.0.1:8080".
    explicit CoinMetricsClient(std::string base_url);
    /// Daily values of `metrics` for `asset` in [start, end], following next_page_token pages.
    /// Returns one series per metric named "coinmetrics:<asset>:<metric>"; when both
    /// FlowInExNtv and FlowOutExNtv are asked for, adds "coinmetrics:<asset>:NetFlowExNtv" =
    /// inflow - outflow (native units; positive means coins moving onto exchanges).
    /// Throws SystemError on a transport or HTTP error, InputError on a malformed payload.
    std::vector<ExternalSeries> fetch_asset_metrics(const std::string& asset,
                                                    const std::vector<std::string>& metrics,
                                                    TimeMs start, TimeMs end,
                                                    int page_size = 1000) const;

private:
    std::string base_url_;
};

/// Client of the alternative.me Crypto Fear & Greed index (`/fng/?limit=N&format=json`).
class FearGreedClient {
public:
    explicit FearGreedClient(std::string base_url); ///< e.g. "https://api.alternative.me"
    /// The last `limit` daily values (0 = all), as series "fng:value" (0..100).
    ExternalSeries fetch(int limit = 0) const;

private:
    std::string base_url_;
};

} // namespace aurum
