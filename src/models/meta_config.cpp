#include "models/meta_config.hpp"

#include <fmt/format.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/timeframe.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

int count(const ConfigNode& n, const std::string& key, int fallback, int lo, int hi) {
    const long long v = n.get_int(key, fallback);
    if (v < lo || v > hi)
        n.fail(key, fmt::format("must be between {} and {}, got {}", lo, hi, v));
    return static_cast<int>(v);
}

} // namespace

nlohmann::json MetaConfig::to_json() const {
    return {{"name", name},
            {"symbols", symbols},
            {"timeframe", timeframe},
            {"network", {{"seq_len", seq_len}, {"hidden", hidden}, {"layers", layers}, {"seed", seed}}},
            {"tasks", {{"min_window", min_window}, {"max_window", max_window}}},
            {"reptile", {{"iterations", iterations}, {"inner_steps", inner_steps},
                         {"inner_lr", inner_lr}, {"batch", batch}, {"epsilon", epsilon},
                         {"epsilon_end", epsilon_end}}},
            {"adapt", {{"shots", shots}, {"steps", adapt_steps}, {"lr", adapt_lr},
                       {"query", query}, {"min_query", min_query}}},
            {"evaluation", {{"test_fraction", test_fraction},
                            {"leave_one_symbol_out", leave_one_symbol_out},
                            {"bootstrap", bootstrap}, {"confidence", confidence}}}};
}

MetaConfig MetaConfig::parse(const std::string& yaml, const std::string& file) {
    MetaConfig c;
    const ConfigNode root = ConfigNode::parse(yaml, file);
    if (!root.defined()) return c;
    const ConfigNode& m = root;
    m.allow_keys({"name", "symbols", "timeframe", "network", "tasks", "reptile", "adapt", "evaluation"});
    c.name = m.get_string("name", "");
    if (m.has("symbols")) {
        c.symbols = m.get_strings("symbols");
        if (c.symbols.empty()) m.fail("symbols", "needs at least one symbol");
    }
    c.timeframe = m.get_string("timeframe", c.timeframe);
    if (!Timeframe::parse(c.timeframe))
        m.fail("timeframe", "'" + c.timeframe + "' is not a timeframe (1h, 4h, 1d, ...)");

    const ConfigNode net = m.child("network");
    net.allow_keys({"seq_len", "hidden", "layers", "seed"});
    c.seq_len = count(net, "seq_len", c.seq_len, 1, 256);
    c.hidden = count(net, "hidden", c.hidden, 1, 512);
    c.layers = count(net, "layers", c.layers, 1, 4);
    c.seed = static_cast<std::uint64_t>(count(net, "seed", 42, 0, 2147483647));

    const ConfigNode t = m.child("tasks");
    t.allow_keys({"min_window", "max_window"});
    c.min_window = count(t, "min_window", c.min_window, 2, 100000);
    c.max_window = count(t, "max_window", c.max_window, 2, 100000);
    if (c.max_window < c.min_window)
        t.fail("max_window", fmt::format("must be at least min_window ({}), got {}", c.min_window,
                                         c.max_window));

    const ConfigNode r = m.child("reptile");
    r.allow_keys({"iterations", "inner_steps", "inner_lr", "batch", "epsilon", "epsilon_end"});
    c.iterations = count(r, "iterations", c.iterations, 1, 1000000);
    c.inner_steps = count(r, "inner_steps", c.inner_steps, 1, 1000);
    c.inner_lr = r.get_in_range("inner_lr", c.inner_lr, 1e-7, 1.0);
    c.batch = count(r, "batch", c.batch, 1, 100000);
    c.epsilon = r.get_in_range("epsilon", c.epsilon, 1e-6, 1.0);
    c.epsilon_end = r.get_in_range("epsilon_end", c.epsilon_end, 0.0, 1.0);

    const ConfigNode a = m.child("adapt");
    a.allow_keys({"shots", "steps", "lr", "query", "min_query"});
    c.shots = count(a, "shots", c.shots, 1, 100000);
    c.adapt_steps = count(a, "steps", c.adapt_steps, 0, 10000);
    c.adapt_lr = a.get_in_range("lr", c.adapt_lr, 1e-7, 1.0);
    c.query = count(a, "query", c.query, 1, 1000000);
    c.min_query = count(a, "min_query", c.min_query, 1, 1000000);
    if (c.min_query > c.query)
        a.fail("min_query", fmt::format("must be at most query ({}), got {}", c.query, c.min_query));

    const ConfigNode e = m.child("evaluation");
    e.allow_keys({"test_fraction", "leave_one_symbol_out", "bootstrap", "confidence"});
    c.test_fraction = e.get_in_range("test_fraction", c.test_fraction, 0.05, 0.9);
    c.leave_one_symbol_out = e.get_bool("leave_one_symbol_out", c.leave_one_symbol_out);
    c.bootstrap = count(e, "bootstrap", c.bootstrap, 10, 1000000);
    c.confidence = e.get_in_range("confidence", c.confidence, 0.5, 0.999);
    return c;
}

MetaConfig MetaConfig::load(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) return {};
    return parse(read_file(file), file.string());
}

} // namespace aurum
