#pragma once
// Tasks of meta-learning: windows of one symbol's rows cut at regime changes, the few-shot split
// of a window (support, label-horizon gap, query) and the standardised sequences the network reads.
#include <cstddef>
#include <string>
#include <vector>

#include "features/regimes.hpp"
#include "models/dataset.hpp"

namespace aurum {

/// One symbol's training rows and the causal regime of each row's decision bar.
struct SymbolRows {
    std::string symbol;
    Dataset data;
    std::vector<Regime> regime; ///< one per row of `data`
};

/// A task: the rows [begin, end) of symbol `symbol` (index into the SymbolRows list).
struct MetaTask {
    std::size_t symbol = 0;
    std::size_t begin = 0, end = 0;
    Regime regime = Regime::Unknown; ///< the regime the window opened in
    std::size_t size() const { return end - begin; }
};

/// Cuts rows into consecutive windows: a window closes when the regime changes and it already
/// holds `min_window` rows, or when it reaches `max_window` rows. The last window is kept only
/// when it has `min_window` rows. Every row belongs to at most one window; windows are in order.
std::vector<MetaTask> regime_windows(const std::vector<Regime>& regime, std::size_t symbol,
                                     int min_window, int max_window);

/// The few-shot split of a window: support = its first `shots` rows; query = up to `query` rows
/// starting at the first row whose sample time is after every support label's end time (the
/// label-horizon gap), all inside the window. Empty query when the window is too short.
struct FewShotSplit {
    std::size_t support_begin = 0, support_end = 0;
    std::size_t query_begin = 0, query_end = 0;
    std::size_t gap() const { return query_begin - support_end; }
};
FewShotSplit few_shot_split(const Dataset& d, std::size_t begin, std::size_t end, int shots,
                            int query);

/// Per-feature mean and standard deviation (from training rows only), applied to every row.
struct Standardiser {
    std::vector<float> mean, stdev;
    /// Statistics over `rows` of each dataset (all with the same columns).
    static Standardiser fit(const std::vector<const Dataset*>& data,
                            const std::vector<std::vector<std::size_t>>& rows);
};

/// Every row's sequence (the row and its previous seq_len - 1 rows, zero-padded before the
/// first), standardised: rows x seq_len x cols floats. Only rows at or before a row are read.
std::vector<float> standardised_sequences(const Dataset& d, const Standardiser& s, int seq_len);

} // namespace aurum
