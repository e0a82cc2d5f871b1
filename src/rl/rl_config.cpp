#include "rl/rl_config.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "core/config.hpp"
#include "core/enum_table.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "core/timeframe.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

constexpr EnumTable<MarketShape, 7> kShapes{{{{MarketShape::Regimes, "regimes"},
                                              {MarketShape::Momentum, "momentum"},
                                              {MarketShape::Noise, "noise"},
                                              {MarketShape::Bull, "bull"},
                                              {MarketShape::Bear, "bear"},
                                              {MarketShape::Trend, "trend"},
                                              {MarketShape::Rotation, "rotation"}}}};

/// A whole number in [lo, hi] (fallback when absent).
long long get_count(const ConfigNode& n, const std::string& key, long long fallback, long long lo,
                    long long hi) {
    const long long v = n.get_int(key, fallback);
    if (v < lo || v > hi)
        n.fail(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                        ", got " + std::to_string(v));
    return v;
}

void parse_market(const ConfigNode& m, RlConfig::Market& out) {
    m.allow_keys({"source", "shape", "momentum", "symbols", "timeframe", "days", "seed",
                  "test_fraction", "from", "to"});
    const std::string source = m.get_string("source", "synthetic");
    if (source != "synthetic" && source != "store")
        m.fail("source", "'" + source + "': expected synthetic or store");
    out.from_store = source == "store";
    for (const char* k : {"from", "to"}) {
        if (!m.has(k))
            continue;
        if (!out.from_store)
            m.fail(k, "only for source: store");
        const std::string text = m.get_string(k);
        const auto t = parse_time(text);
        if (!t)
            m.fail(k, "'" + text + "': expected a date (YYYY-MM-DD[ HH:MM:SS])");
        (std::string(k) == "from" ? out.from : out.to) = *t;
    }
    const std::string shape = m.get_string("shape", to_string(out.shape));
    const auto s = kShapes.find(shape);
    if (!s)
        m.fail("shape", "'" + shape + "': expected regimes, momentum, noise, bull, bear, trend or rotation");
    out.shape = *s;
    out.momentum = m.get_in_range("momentum", out.momentum, 0.0, 0.9);
    if (m.has("symbols"))
        out.symbols = m.get_strings("symbols");
    if (out.symbols.empty())
        m.fail("symbols", "at least one symbol");
    out.timeframe = m.get_string("timeframe", out.timeframe);
    try {
        (void)Timeframe::parse_or_throw(out.timeframe);
    } catch (const InputError& e) {
        m.fail("timeframe", e.what());
    }
    out.days = static_cast<int>(get_count(m, "days", out.days, 60, 3650));
    out.seed = static_cast<std::uint64_t>(
        get_count(m, "seed", static_cast<long long>(out.seed), 0, (1LL << 62)));
    out.test_fraction = m.get_in_range("test_fraction", out.test_fraction, 0.05, 0.8);
    if ((out.shape == MarketShape::Bull || out.shape == MarketShape::Bear) && !out.from_store &&
        (out.symbols != std::vector<std::string>{"BTC/USDT"} || out.timeframe != "4h"))
        m.fail("shape", "'" + shape + "': the scenario market is BTC/USDT 4h only");
    if (out.shape == MarketShape::Rotation && !out.from_store && out.symbols.size() < 2)
        m.fail("shape", "'rotation': needs 2 or more market.symbols");
}

void parse_agent(const ConfigNode& a, RlConfig::Agent& out) {
    a.allow_keys({"level", "action_levels", "episode_bars", "envs", "rollout_steps", "updates",
                  "reward_scale", "cadence", "tactical_model", "strategic_model", "dsr_eta",
                  "portfolio"});
    const std::string level = a.get_string("level", "tactical");
    if (level != "tactical" && level != "strategic" && level != "execution")
        a.fail("level", "'" + level + "': expected tactical, strategic or execution");
    out.strategic = level == "strategic";
    out.execution = level == "execution";
    for (const char* k : {"cadence", "dsr_eta", "portfolio"})
        if (!out.strategic && a.has(k))
            a.fail(k, "only for level: strategic");
    if (level == "tactical" && a.has("tactical_model"))
        a.fail("tactical_model", "only for level: strategic or execution");
    out.cadence = static_cast<std::size_t>(get_count(a, "cadence", 6, 1, 10000));
    out.tactical_model = a.get_string("tactical_model", "");
    if (!out.execution && a.has("strategic_model"))
        a.fail("strategic_model", "only for level: execution");
    out.strategic_model = a.get_string("strategic_model", "");
    if (!out.strategic_model.empty() && !out.tactical_model.empty())
        a.fail("strategic_model", "name either the strategic agent (with its tactical agent) or "
                                  "a tactical agent above the execution agent, not both");
    out.portfolio = a.get_bool("portfolio", false);
    if (out.portfolio && !out.tactical_model.empty())
        a.fail("tactical_model", "not with portfolio: true (the portfolio's allocations are the "
                                 "targets)");
    out.dsr_eta = a.get_in_range("dsr_eta", out.dsr_eta, 1e-4, 0.5);
    if (out.execution) out.action_levels = {0.0, 5.0, 10.0, 25.0};
    const double top = out.execution ? kMaxLimitOffsetBps : 1.0;
    if (a.has("action_levels")) {
        out.action_levels.clear();
        for (const ConfigNode& e : a.child("action_levels").items()) {
            double v = 0;
            if (!e.raw().IsScalar() || !YAML::convert<double>::decode(e.raw(), v) || v < 0 ||
                v > top)
                a.fail("action_levels",
                       out.execution ? fmt::format("each level is a limit offset in bps in [0, "
                                                   "{}] (0: market)",
                                                   top)
                                     : "each level is a target fraction of equity in [0, 1] "
                                       "(spot: no shorts)");
            out.action_levels.push_back(v);
        }
        if (out.action_levels.size() < 2 || out.action_levels.size() > 16)
            a.fail("action_levels", "between 2 and 16 levels");
    }
    // Strategic: 42 days of 4h bars, a multiple of the default cadence.
    out.episode_bars = static_cast<std::size_t>(
        get_count(a, "episode_bars", out.strategic ? 252 : 256, 8, 100000));
    out.envs = static_cast<std::size_t>(get_count(a, "envs", 8, 1, 1024));
    out.rollout_steps = static_cast<std::size_t>(get_count(a, "rollout_steps", 128, 1, 100000));
    out.updates = static_cast<std::size_t>(get_count(a, "updates", 40, 1, 1000000));
    out.reward_scale = a.get_positive(
        "reward_scale", out.strategic ? 1.0 : out.reward_scale);
    if (out.strategic && out.episode_bars % out.cadence != 0)
        a.fail("cadence", fmt::format("{} must divide agent.episode_bars {} (every episode ends "
                                      "at a strategic decision)",
                                      out.cadence, out.episode_bars));
}

void parse_ppo(const ConfigNode& n, PpoParams& p) {
    n.allow_keys({"hidden", "layers", "lr", "gamma", "gae_lambda", "clip", "entropy_coef",
                  "value_coef", "max_grad_norm", "epochs", "minibatch", "threads", "seed"});
    p.hidden = static_cast<int>(get_count(n, "hidden", p.hidden, 1, 4096));
    p.layers = static_cast<int>(get_count(n, "layers", p.layers, 1, 8));
    p.lr = n.get_in_range("lr", p.lr, 1e-7, 1.0);
    p.gamma = n.get_in_range("gamma", p.gamma, 0.0, 1.0);
    p.gae_lambda = n.get_in_range("gae_lambda", p.gae_lambda, 0.0, 1.0);
    p.clip = n.get_in_range("clip", p.clip, 0.01, 1.0);
    p.entropy_coef = n.get_non_negative("entropy_coef", p.entropy_coef);
    p.value_coef = n.get_non_negative("value_coef", p.value_coef);
    p.max_grad_norm = n.get_positive("max_grad_norm", p.max_grad_norm);
    p.epochs = static_cast<int>(get_count(n, "epochs", p.epochs, 1, 100));
    p.minibatch = static_cast<int>(get_count(n, "minibatch", p.minibatch, 1, 1 << 20));
    p.threads = static_cast<int>(get_count(n, "threads", p.threads, 1, 64));
    p.seed = static_cast<std::uint64_t>(
        get_count(n, "seed", static_cast<long long>(p.seed), 0, (1LL << 62)));
}

} // namespace

std::string to_string(MarketShape s) {
    return kShapes.name(s);
}

RlConfig RlConfig::parse(const std::string& text, const std::string& file) {
    const ConfigNode root = ConfigNode::parse(text, file);
    RlConfig c;
    c.yaml = text;
    if (!root.defined())
        return c;
    root.allow_keys({"name", "market", "feature_set", "agent", "ppo", "gating"});
    c.name = root.get_string("name", c.name);
    if (c.name.empty() || c.name.find_first_of("/\\ \t") != std::string::npos || c.name[0] == '.')
        root.fail("name", "'" + c.name + "': a file name (no spaces or slashes)");
    if (root.has("market"))
        parse_market(root.child("market"), c.market);
    c.feature_set = root.get_string("feature_set", c.feature_set);
    if (root.has("agent"))
        parse_agent(root.child("agent"), c.agent);
    if (root.has("ppo"))
        parse_ppo(root.child("ppo"), c.ppo);
    // The training window must hold an episode (the features' warm-up is checked on the tapes;
    // the store's bars when they are loaded).
    const TimeMs tf = Timeframe::parse_or_throw(c.market.timeframe).ms();
    const auto train_bars = static_cast<std::size_t>(
        static_cast<double>(c.market.days * kMsPerDay / tf) * (1 - c.market.test_fraction));
    if (!c.market.from_store && c.agent.episode_bars + 1 > train_bars) {
        const std::string msg = fmt::format(
            "{} does not fit the {} training bars of market.days {} x (1 - market.test_fraction)",
            c.agent.episode_bars, train_bars, c.market.days);
        if (root.has("agent"))
            root.child("agent").fail("episode_bars", msg);
        root.fail("agent", "episode_bars " + msg);
    }
    if (c.agent.portfolio && c.market.symbols.size() < 2)
        root.child("agent").fail("portfolio", fmt::format("true needs 2 or more market.symbols, "
                                                          "got {}",
                                                          c.market.symbols.size()));
    if (root.has("gating")) {
        const ConfigNode g = root.child("gating");
        g.allow_keys({"min_t_stat", "beat_buy_hold_sharpe"});
        c.gating.min_t_stat = g.get_double("min_t_stat", c.gating.min_t_stat);
        c.gating.beat_buy_hold_sharpe =
            g.get_bool("beat_buy_hold_sharpe", c.gating.beat_buy_hold_sharpe);
    }
    return c;
}

RlConfig RlConfig::load(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file))
        throw InputError(file.string() + ": no such config file");
    return RlConfig::parse(read_file(file), file.string());
}

const std::string& default_rl_yaml() {
    static const std::string text = [] {
        for (const auto& [name, body] : default_config_files())
            if (name == "rl.yaml")
                return body;
        return std::string();
    }();
    return text;
}

} // namespace aurum
