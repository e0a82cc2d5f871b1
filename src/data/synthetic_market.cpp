#include "data/synthetic_market.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/resample.hpp"
#include "data/validation.hpp"

namespace aurum {

std::string to_string(SynthRegime r) {
    switch (r) {
    case SynthRegime::Bull:
        return "bull";
    case SynthRegime::Bear:
        return "bear";
    case SynthRegime::Ranging:
        return "ranging";
    case SynthRegime::HighVol:
        return "high_vol";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------------
// RNG and linear algebra

SynthRng::SynthRng(std::uint64_t seed) : engine_(seed) {}

double SynthRng::uniform() {
    // 53 random bits, centred in their cell: never exactly 0 or 1.
    return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;
}

double SynthRng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    // Marsaglia's polar form of Box-Muller: only sqrt and log, no trigonometry.
    double u, v, s;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
}

std::vector<std::vector<double>> cholesky(const std::vector<std::vector<double>>& m) {
    const std::size_t n = m.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (m[i].size() != n)
            throw InputError("correlation matrix is not square");
        for (std::size_t j = 0; j < n; ++j)
            if (!std::isfinite(m[i][j]) || std::fabs(m[i][j] - m[j][i]) > 1e-12)
                throw InputError(
                    fmt::format("correlation matrix is not symmetric at ({}, {})", i, j));
    }
    std::vector<std::vector<double>> l(n, std::vector<double>(n, 0.0));
    for (std::size_t j = 0; j < n; ++j) {
        double d = m[j][j];
        for (std::size_t k = 0; k < j; ++k)
            d -= l[j][k] * l[j][k];
        if (!(d > 1e-12))
            throw InputError(
                fmt::format("correlation matrix is not positive definite (pivot {})", j));
        l[j][j] = std::sqrt(d);
        for (std::size_t i = j + 1; i < n; ++i) {
            double s = m[i][j];
            for (std::size_t k = 0; k < j; ++k)
                s -= l[i][k] * l[j][k];
            l[i][j] = s / l[j][j];
        }
    }
    return l;
}

// ---------------------------------------------------------------------------------------------
// Defaults

namespace {

struct KnownAsset {
    const char* symbol;
    double price, vol, beta, volume, spread_points;
};

// Start prices near January 2024; volatilities close to the assets' realised ones.
constexpr KnownAsset kKnown[] = {
    {"BTC/USDT", 42000.0, 0.55, 1.0, 900.0, 0}, {"ETH/USDT", 2300.0, 0.70, 1.1, 12000.0, 0},
    {"SOL/USDT", 100.0, 0.95, 1.3, 60000.0, 0}, {"BNB/USDT", 310.0, 0.65, 1.0, 15000.0, 0},
    {"XRP/USDT", 0.60, 0.80, 1.2, 3.0e6, 0},    {"XAUUSD", 2050.0, 0.14, 0.25, 3000.0, 20},
};

double pair_correlation(const SynthAsset& a, const SynthAsset& b) {
    const bool ca = a.instrument.asset_class == AssetClass::CryptoSpot;
    const bool cb = b.instrument.asset_class == AssetClass::CryptoSpot;
    if (ca != cb)
        return 0.10; // gold barely follows crypto
    if (!ca)
        return 0.50;
    static const std::map<std::pair<std::string, std::string>, double> table = {
        {{"BTC/USDT", "ETH/USDT"}, 0.82},
        {{"BTC/USDT", "SOL/USDT"}, 0.72},
        {{"ETH/USDT", "SOL/USDT"}, 0.75}};
    const std::string& x = std::min(a.instrument.symbol, b.instrument.symbol);
    const std::string& y = std::max(a.instrument.symbol, b.instrument.symbol);
    if (auto it = table.find({x, y}); it != table.end())
        return it->second;
    return 0.65;
}

} // namespace

SynthConfig SynthConfig::defaults(const InstrumentRegistry& registry,
                                  std::vector<std::string> symbols, Timeframe tf, TimeMs start,
                                  int days, std::uint64_t seed, bool noise) {
    if (symbols.empty())
        symbols = {"BTC/USDT", "ETH/USDT", "SOL/USDT", "XAUUSD"};
    if (days <= 0)
        throw InputError("synth: --days must be > 0, got " + std::to_string(days));
    SynthConfig c;
    for (const std::string& raw : symbols) {
        SynthAsset a;
        a.instrument = registry.get(normalize_symbol(raw));
        for (const SynthAsset& prev : c.assets)
            if (prev.instrument.symbol == a.instrument.symbol)
                throw InputError("synth: symbol '" + raw + "' given twice");
        const bool crypto = a.instrument.asset_class == AssetClass::CryptoSpot;
        a.start_price = crypto ? 10.0 : 100.0;
        a.annual_vol = crypto ? 0.80 : 0.20;
        a.regime_beta = crypto ? 1.2 : 0.3;
        a.base_volume = crypto ? 10000.0 : 2000.0;
        a.base_spread = crypto ? 0.0 : 20 * a.instrument.point;
        for (const KnownAsset& k : kKnown)
            if (a.instrument.symbol == k.symbol) {
                a.start_price = k.price;
                a.annual_vol = k.vol;
                a.regime_beta = k.beta;
                a.base_volume = k.volume;
                a.base_spread = k.spread_points * a.instrument.point;
            }
        c.assets.push_back(a);
    }
    const std::size_t n = c.assets.size();
    c.correlation.assign(n, std::vector<double>(n, 1.0));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            if (i != j)
                c.correlation[i][j] = pair_correlation(c.assets[i], c.assets[j]);
    c.timeframe = tf;
    c.start = start;
    c.end = start + static_cast<TimeMs>(days) * kMsPerDay;
    c.seed = seed;
    c.noise = noise;
    c.regimes[static_cast<int>(SynthRegime::Bull)] = SynthRegimeParams{0.9, 0.85, 0.7, 1.0, 30.0};
    c.regimes[static_cast<int>(SynthRegime::Bear)] = SynthRegimeParams{-0.8, 1.3, 1.2, 1.25, 20.0};
    c.regimes[static_cast<int>(SynthRegime::Ranging)] = SynthRegimeParams{0.0, 0.6, 0.5, 0.7, 25.0};
    c.regimes[static_cast<int>(SynthRegime::HighVol)] = SynthRegimeParams{-0.1, 2.5, 3.0, 1.8, 5.0};
    c.switch_weights = {{{0, 0.30, 0.50, 0.20},
                         {0.30, 0, 0.40, 0.30},
                         {0.40, 0.35, 0, 0.25},
                         {0.30, 0.40, 0.30, 0}}};
    return c;
}

// ---------------------------------------------------------------------------------------------
// Generator

namespace {

double round_to(double v, double step) {
    if (!(step > 0))
        return v;
    // Decimal steps (0.01): divide by the integer 1/step so prices print as 2105.49, not
    // 2105.4900000000002.
    const double inv = 1.0 / step;
    const double r = std::fabs(inv - std::round(inv)) < 1e-9 * inv
                         ? std::round(v * inv) / std::round(inv)
                         : std::round(v / step) * step;
    return std::max(step, r);
}

void check_config(const SynthConfig& c) {
    if (c.assets.empty())
        throw InputError("synth: no assets");
    if (c.timeframe.ms() <= 0)
        throw InputError("synth: timeframe must be positive");
    if (c.end <= c.start)
        throw InputError("synth: end must be after start");
    if (bucket_start(c.start, c.timeframe) != c.start)
        throw InputError("synth: start " + format_time(c.start) + " is not on the " +
                         c.timeframe.name() + " grid");
    const TimeMs steps = (c.end - c.start) / c.timeframe.ms();
    if (steps * static_cast<TimeMs>(c.assets.size()) > 50'000'000)
        throw InputError(
            fmt::format("synth: {} steps x {} assets is too many (limit 50 million bars)", steps,
                        c.assets.size()));
    if (c.correlation.size() != c.assets.size())
        throw InputError("synth: correlation matrix size does not match the number of assets");
    for (const auto& a : c.assets)
        if (!(a.start_price > 0) || !(a.annual_vol > 0) || a.base_volume < 0 || a.base_spread < 0)
            throw InputError(
                "synth: asset " + a.instrument.symbol +
                " needs start_price > 0, annual_vol > 0, base_volume >= 0, base_spread >= 0");
    if (c.garch_alpha < 0 || c.garch_beta < 0 || c.garch_alpha + c.garch_beta >= 1)
        throw InputError("synth: GARCH needs alpha, beta >= 0 and alpha + beta < 1");
    if (c.intrabar_steps < 1 || c.intrabar_steps > 64)
        throw InputError("synth: intrabar_steps must be in [1, 64]");
    for (const auto& r : c.regimes)
        if (!(r.vol_mult > 0) || !(r.mean_days > 0) || r.jump_mult < 0 || r.volume_mult < 0)
            throw InputError("synth: regime parameters must be positive");
}

} // namespace

SynthMarket generate_synthetic_market(const SynthConfig& c) {
    check_config(c);
    const std::size_t na = c.assets.size();
    const auto chol = c.noise ? std::vector<std::vector<double>>{} : cholesky(c.correlation);
    const TimeMs tf = c.timeframe.ms();
    const std::size_t nsteps = static_cast<std::size_t>((c.end - c.start) / tf);
    const double dt_years = static_cast<double>(tf) / (365.0 * kMsPerDay);
    const double dt_days = static_cast<double>(tf) / kMsPerDay;
    const double hours = static_cast<double>(tf) / kMsPerHour;

    SynthMarket m;
    m.steps.reserve(nsteps);
    m.regimes.reserve(nsteps);
    m.series.resize(na);
    for (std::size_t a = 0; a < na; ++a) {
        BarSeries& s = m.series[a];
        s.symbol = c.assets[a].instrument.symbol;
        s.timeframe = c.timeframe;
        s.has_spread_column = c.assets[a].base_spread > 0;
        s.reserve(nsteps);
    }

    // SynthRegime switching probabilities per step.
    std::array<double, kSynthRegimeCount> p_switch{};
    std::array<std::array<double, kSynthRegimeCount>, kSynthRegimeCount> to_cdf{};
    for (int r = 0; r < kSynthRegimeCount; ++r) {
        p_switch[r] = 1.0 - std::exp(-dt_days / c.regimes[r].mean_days);
        double total = 0;
        for (int q = 0; q < kSynthRegimeCount; ++q)
            total += q == r ? 0.0 : std::max(0.0, c.switch_weights[r][q]);
        double acc = 0;
        for (int q = 0; q < kSynthRegimeCount; ++q) {
            const double w = q == r ? 0.0 : std::max(0.0, c.switch_weights[r][q]);
            acc += total > 0 ? w / total : (q == r ? 0.0 : 1.0 / (kSynthRegimeCount - 1));
            to_cdf[r][q] = acc;
        }
    }

    SynthRng rng(c.seed);
    std::vector<double> log_price(na), h(na, 1.0), shock(na), jump_shock(na), indep(na);
    auto correlate = [&](const std::vector<double>& n, std::vector<double>& z) {
        for (std::size_t a = 0; a < na; ++a) {
            if (c.noise) {
                z[a] = n[a];
                continue;
            }
            double sum = 0;
            for (std::size_t j = 0; j <= a; ++j)
                sum += chol[a][j] * n[j];
            z[a] = sum;
        }
    };
    std::vector<bool> was_open(na, true);
    for (std::size_t a = 0; a < na; ++a)
        log_price[a] = std::log(c.assets[a].start_price);
    SynthRegime regime =
        c.noise
            ? SynthRegime::Ranging
            : static_cast<SynthRegime>(static_cast<int>(rng.uniform() * kSynthRegimeCount) % kSynthRegimeCount);
    const int K = c.intrabar_steps;

    for (std::size_t k = 0; k < nsteps; ++k) {
        const TimeMs t = c.start + static_cast<TimeMs>(k) * tf;
        if (!c.noise && k > 0) {
            const int r = static_cast<int>(regime);
            if (rng.uniform() < p_switch[r]) {
                const double u = rng.uniform();
                int q = 0;
                while (q < kSynthRegimeCount - 1 && (q == r || u >= to_cdf[r][q]))
                    ++q;
                if (q == r)
                    q = (r + 1) % kSynthRegimeCount;
                regime = static_cast<SynthRegime>(q);
            }
        }
        m.steps.push_back(t);
        m.regimes.push_back(regime);
        const SynthRegimeParams& rp = c.regimes[static_cast<int>(regime)];

        // Correlated standard normal shocks: z = L * n, for the diffusion and for jump sizes.
        // Jumps are market-wide events (crypto crashes together), so they keep the correlation.
        for (std::size_t a = 0; a < na; ++a)
            indep[a] = rng.normal();
        correlate(indep, shock);
        bool jump_event = false;
        if (!c.noise) {
            jump_event = rng.uniform() < c.jump_prob_per_day * dt_days * rp.jump_mult;
            for (std::size_t a = 0; a < na; ++a)
                indep[a] = rng.normal();
            correlate(indep, jump_shock);
        }

        for (std::size_t a = 0; a < na; ++a) {
            const SynthAsset& as = c.assets[a];
            const bool open = session_expects_bar(as.instrument.sessions, t, c.timeframe);
            const double base_sigma = as.annual_vol * std::sqrt(dt_years);
            double sigma = base_sigma, mu = 0, jump = 0, vmult = 1;
            if (!c.noise) {
                const double beta = as.regime_beta;
                sigma =
                    base_sigma * std::max(0.2, 1.0 + beta * (rp.vol_mult - 1.0)) * std::sqrt(h[a]);
                mu = beta * rp.annual_drift * dt_years;
                vmult = std::max(0.1, 1.0 + beta * (rp.volume_mult - 1.0));
                if (jump_event && open)
                    jump = c.jump_size_sigmas * base_sigma * jump_shock[a];
                // Unit-variance GARCH(1,1): big shocks raise the next bars' variance.
                h[a] = (1.0 - c.garch_alpha - c.garch_beta) +
                       c.garch_alpha * h[a] * shock[a] * shock[a] + c.garch_beta * h[a];
            }
            if (!open) {
                sigma *= c.closed_vol_mult;
                mu *= c.closed_vol_mult * c.closed_vol_mult;
            }
            const double ret = mu - 0.5 * sigma * sigma + sigma * shock[a] + jump;

            // Intrabar path: a Brownian bridge from 0 to ret sets high and low. Drawn for closed
            // steps too, to keep the random stream independent of sessions.
            double w = 0, hi = 0, lo = 0;
            const double sub_sd =
                std::max(sigma, std::fabs(jump) * 0.5) / std::sqrt(static_cast<double>(K));
            std::array<double, 64> path{};
            const int kk = std::min(K, 64);
            for (int i = 1; i <= kk; ++i) {
                w += sub_sd * rng.normal();
                path[static_cast<std::size_t>(i - 1)] = w;
            }
            for (int i = 1; i <= kk; ++i) {
                const double b = path[static_cast<std::size_t>(i - 1)] -
                                 (static_cast<double>(i) / kk) * (w - ret);
                hi = std::max(hi, b);
                lo = std::min(lo, b);
            }
            const double vol_noise = rng.normal(), spread_noise = rng.normal();

            const double open_lp = log_price[a];
            log_price[a] += ret;
            if (!open) {
                was_open[a] = false;
                continue;
            }
            const double tick = as.instrument.tick_size;
            Bar bar;
            bar.time = t;
            bar.open = round_to(std::exp(open_lp), tick);
            bar.close = round_to(std::exp(open_lp + ret), tick);
            bar.high = std::max({round_to(std::exp(open_lp + hi), tick), bar.open, bar.close});
            bar.low = std::min({round_to(std::exp(open_lp + lo), tick), bar.open, bar.close});
            const double activity = c.noise ? 1.0 : 0.5 + 0.6 * std::fabs(ret - mu) / base_sigma;
            double volume =
                as.base_volume * hours * vmult * activity * std::exp(0.35 * vol_noise - 0.06);
            volume = as.instrument.asset_class == AssetClass::CryptoSpot
                         ? std::round(volume * 1e5) / 1e5
                         : std::max(1.0, std::round(volume)); // MT5 tick volume is a count
            bar.volume = volume;
            if (as.base_spread > 0) {
                double sp = as.base_spread * std::exp(0.25 * spread_noise) * (0.6 + 0.4 * vmult);
                if (!was_open[a])
                    sp *= 2.5; // thin books at the session open
                bar.spread = round_to(sp, as.instrument.point);
            }
            was_open[a] = true;
            m.series[a].push_back(bar);
        }
    }
    return m;
}

} // namespace aurum
