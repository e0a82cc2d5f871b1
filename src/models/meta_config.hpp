#pragma once
// Settings of Reptile meta-learning (config/meta.yaml): network, tasks, outer/inner loop,
// few-shot adaptation and the held-out evaluation.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aurum {

/// config/meta.yaml. Every key is optional; unknown or out-of-range keys throw InputError
/// "file:line: <section>.<key>: ...".
struct MetaConfig {
    std::string name;                 ///< registry name; empty: lstm-meta-<symbols>-<timeframe>
    std::vector<std::string> symbols{"BTC/USDT", "ETH/USDT", "XAUUSD"};
    std::string timeframe = "4h";

    int seq_len = 8, hidden = 16, layers = 1; ///< network
    std::uint64_t seed = 42;

    int min_window = 60;  ///< a regime window closes at a regime change once it has this many rows
    int max_window = 240; ///< ... and in any case at this many

    int iterations = 300;   ///< Reptile outer steps (one task each)
    int inner_steps = 5;    ///< Adam steps on the task per outer step
    double inner_lr = 3e-3;
    int batch = 32;         ///< sequences per inner step
    double epsilon = 1.0;   ///< outer step size at the first iteration ...
    double epsilon_end = 0.1; ///< ... decaying linearly to this at the last

    int shots = 30;         ///< support rows: the first `shots` rows of a new window
    int adapt_steps = 10;   ///< Adam steps on the support rows
    double adapt_lr = 3e-3;
    int query = 90;         ///< query rows scored after the support and the label-horizon gap
    int min_query = 20;     ///< a held-out window with fewer query rows is skipped

    double test_fraction = 0.3;      ///< the last share of time: held-out windows
    bool leave_one_symbol_out = true; ///< also hold out each symbol in turn
    int bootstrap = 1000;             ///< resamples of the held-out tasks
    double confidence = 0.95;

    nlohmann::json to_json() const;
    static MetaConfig parse(const std::string& yaml, const std::string& file);
    /// A missing file gives the defaults.
    static MetaConfig load(const std::filesystem::path& file);
};

} // namespace aurum
