// Labels: hand-built paths for every barrier outcome, the both-in-one-bar rule, and the property
// that a label at t depends only on bars up to t1.
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "feature_test_helpers.hpp"
#include "features/labels.hpp"

using namespace aurum;

namespace {

/// Flat history (so the causal volatility is known), then a scripted path.
/// Flat bars alternate +-1% so the 1-bar log-return std is exactly ln(1.01) / ... computed below.
BarSeries scripted(const std::vector<std::array<double, 4>>& path, std::size_t history = 30) {
    BarSeries s;
    s.symbol = "T/USDT";
    s.timeframe = Timeframe(kMsPerHour);
    double px = 100;
    for (std::size_t i = 0; i < history; ++i) {
        const double c = i % 2 ? 100.0 : 101.0;
        s.push_back(Bar{static_cast<TimeMs>(i) * kMsPerHour, px, std::max(px, c), std::min(px, c), c,
                        1, 0});
        px = c;
    }
    for (const auto& b : path)
        s.push_back(Bar{static_cast<TimeMs>(s.size()) * kMsPerHour, b[0], b[1], b[2], b[3], 1, 0});
    return s;
}

/// Population std of alternating log returns +-ln(1.01): exactly ln(1.01).
const double kVol = std::log(1.01);

} // namespace

TEST(Labels, fixed_horizon_with_dead_zone) {
    BarSeries s;
    s.symbol = "T/USDT";
    s.timeframe = Timeframe(kMsPerHour);
    const double closes[] = {100, 101, 103, 100.5, 99, 99.9};
    for (int i = 0; i < 6; ++i)
        s.push_back(Bar{i * kMsPerHour, closes[i], closes[i], closes[i], closes[i], 1, 0});
    FixedHorizonParams p;
    p.horizon = 2;
    p.dead_zone = 0.01;
    const LabelSet l = fixed_horizon_labels(s, p);
    ASSERT_EQ(l.size(), 4u); // the last 2 bars have no complete horizon
    EXPECT_EQ(l.label, (std::vector<std::int8_t>{1, 0, -1, 0}));
    EXPECT_NEAR(l.ret[0], 0.03, 1e-12);
    EXPECT_EQ(l.t1[0], 2 * kMsPerHour);
    EXPECT_EQ(l.t1[3], 5 * kMsPerHour);
    EXPECT_EQ(l.method, LabelMethod::FixedHorizon);
    EXPECT_EQ(l.params, "horizon=2;dead_zone=0.01;dead_zone_vol=0;vol_window=20");
}

TEST(Labels, triple_barrier_profit_take_stop_loss_and_vertical) {
    TripleBarrierParams p;
    p.horizon = 4;
    p.pt_mult = 1.0;
    p.sl_mult = 1.0;
    p.vol_window = 10;
    const double w = kVol * 2.0; // vol * sqrt(4)
    // Entry at close 100 (bar 29). Barriers at 100 * (1 +- w).
    {
        const BarSeries s = scripted({{100, 100.5, 99.5, 100}, {100, 100 * (1 + w) + 0.01, 99.8, 101}});
        const LabelSet l = triple_barrier_labels(s, p);
        // The sample at bar 29 is the last one with a full horizon? No: only 2 bars follow it.
        EXPECT_FALSE(l.find(29 * kMsPerHour));
    }
    const BarSeries s = scripted({{100, 100.5, 99.5, 100},
                                  {100, 100 * (1 + w) + 0.01, 99.8, 101},
                                  {101, 101, 100, 100},
                                  {100, 100, 99, 99},
                                  {99, 99, 98, 98}});
    const LabelSet l = triple_barrier_labels(s, p);
    const auto i = l.find(29 * kMsPerHour);
    ASSERT_TRUE(i);
    EXPECT_EQ(l.label[*i], 1);
    EXPECT_EQ(l.barrier[*i], static_cast<std::int8_t>(Barrier::ProfitTake));
    EXPECT_EQ(l.t1[*i], 31 * kMsPerHour);
    EXPECT_NEAR(l.ret[*i], w, 1e-12);

    const BarSeries down = scripted({{100, 100.2, 100 * (1 - w) - 0.01, 99},
                                     {99, 99, 98, 98},
                                     {98, 98, 97, 97},
                                     {97, 97, 96, 96}});
    const LabelSet ld = triple_barrier_labels(down, p);
    ASSERT_TRUE(ld.find(29 * kMsPerHour));
    EXPECT_EQ(ld.label[0 + *ld.find(29 * kMsPerHour)], -1);
    EXPECT_EQ(ld.t1[*ld.find(29 * kMsPerHour)], 30 * kMsPerHour);

    const BarSeries flat = scripted({{100, 100.1, 99.9, 100},
                                     {100, 100.1, 99.9, 100.05},
                                     {100, 100.1, 99.9, 100},
                                     {100, 100.1, 99.9, 100.02}});
    const auto lf = triple_barrier_labels(flat, p);
    const auto k = lf.find(29 * kMsPerHour);
    ASSERT_TRUE(k);
    EXPECT_EQ(lf.label[*k], 0);
    EXPECT_EQ(lf.barrier[*k], static_cast<std::int8_t>(Barrier::Vertical));
    EXPECT_EQ(lf.t1[*k], 33 * kMsPerHour);
    p.vertical_sign = true;
    EXPECT_EQ(triple_barrier_labels(flat, p).label[*k], 1); // +0.02% at the vertical barrier
}

TEST(Labels, both_barriers_inside_one_bar_follow_the_documented_rule) {
    TripleBarrierParams p;
    p.horizon = 3;
    p.pt_mult = 1.0;
    p.sl_mult = 1.0;
    p.vol_window = 10;
    const double w = kVol * std::sqrt(3.0);
    const BarSeries s = scripted({{100, 100 * (1 + w) + 0.5, 100 * (1 - w) - 0.5, 100},
                                  {100, 100, 100, 100},
                                  {100, 100, 100, 100}});
    const auto i = triple_barrier_labels(s, p).find(29 * kMsPerHour);
    ASSERT_TRUE(i);
    const LabelSet stop_first = triple_barrier_labels(s, p);
    EXPECT_EQ(stop_first.label[*i], -1);
    EXPECT_NEAR(stop_first.ret[*i], -w, 1e-12);
    p.both_hit = BothHitRule::ProfitFirst;
    const LabelSet profit_first = triple_barrier_labels(s, p);
    EXPECT_EQ(profit_first.label[*i], 1);
    EXPECT_NE(stop_first.params, profit_first.params);
}

TEST(Labels, gap_through_a_barrier_fills_at_the_open) {
    TripleBarrierParams p;
    p.horizon = 2;
    p.vol_window = 10;
    p.pt_mult = p.sl_mult = 1.0;
    const BarSeries s = scripted({{90, 91, 89, 90}, {90, 90, 90, 90}});
    const LabelSet l = triple_barrier_labels(s, p);
    const auto i = l.find(29 * kMsPerHour);
    ASSERT_TRUE(i);
    EXPECT_EQ(l.label[*i], -1);
    EXPECT_NEAR(l.ret[*i], -0.10, 1e-12); // worse than the barrier: the open was beyond it
}

TEST(Labels, meta_labels_score_the_primary_side_including_shorts) {
    TripleBarrierParams p;
    p.horizon = 3;
    p.vol_window = 10;
    const BarSeries s = scripted({{100, 100, 95, 95}, {95, 95, 90, 90}, {90, 90, 85, 85}});
    std::vector<std::int8_t> sides(s.size(), 0);
    sides[29] = -1; // short before a fall: a winner
    LabelSet l = meta_labels(s, sides, p);
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l.label[0], 1);
    EXPECT_EQ(l.side[0], -1);
    EXPECT_GT(l.ret[0], 0);
    sides[29] = 1; // long before the same fall: a loser
    l = meta_labels(s, sides, p);
    EXPECT_EQ(l.label[0], 0);
    EXPECT_LT(l.ret[0], 0);
    EXPECT_THROW(meta_labels(s, std::vector<std::int8_t>(3, 1), p), InputError);
}

TEST(Labels, sma_cross_primary_is_causal_and_signed) {
    const BarSeries s = test::synthetic_bars(300, 4);
    const auto sides = sma_cross_sides(s, 5, 20);
    for (std::size_t i = 0; i < 19; ++i) EXPECT_EQ(sides[i], 0);
    BarSeries cut = s.slice({s.time[0], s.time[150]});
    const auto sides_cut = sma_cross_sides(cut, 5, 20);
    for (std::size_t i = 0; i < cut.size(); ++i) EXPECT_EQ(sides[i], sides_cut[i]);
    EXPECT_THROW(sma_cross_sides(s, 20, 5), InputError);
}

TEST(Labels, every_label_depends_only_on_bars_up_to_its_t1) {
    const BarSeries s = test::synthetic_bars(600, 12);
    TripleBarrierParams tb;
    tb.horizon = 20;
    FixedHorizonParams fh;
    fh.horizon = 10;
    fh.dead_zone_vol = 0.5;
    const auto sides = sma_cross_sides(s, 5, 20);
    const LabelSet base_tb = triple_barrier_labels(s, tb), base_fh = fixed_horizon_labels(s, fh),
                   base_meta = meta_labels(s, sides, tb);
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.7, 1.3);
    for (const LabelSet* base : {&base_tb, &base_fh, &base_meta}) {
        ASSERT_GT(base->size(), 100u);
        for (std::size_t k = 0; k < base->size(); k += 37) {
            // t < t1 <= t + horizon bars.
            EXPECT_GT(base->t1[k], base->time[k]);
            const TimeMs t1 = base->t1[k];
            BarSeries p = s;
            for (std::size_t i = p.lower_bound(t1) + 1; i < p.size(); ++i) {
                p.open[i] *= u(rng);
                p.close[i] *= u(rng);
                p.high[i] = std::max({p.high[i] * u(rng), p.open[i], p.close[i]});
                p.low[i] = std::min({p.low[i] * u(rng), p.open[i], p.close[i]});
            }
            const LabelSet again = base->method == LabelMethod::FixedHorizon
                                       ? fixed_horizon_labels(p, fh)
                                   : base->method == LabelMethod::Meta
                                       ? meta_labels(p, sides, tb)
                                       : triple_barrier_labels(p, tb);
            const auto j = again.find(base->time[k]);
            ASSERT_TRUE(j);
            EXPECT_EQ(again.label[*j], base->label[k]);
            EXPECT_EQ(again.t1[*j], base->t1[k]);
            EXPECT_EQ(again.ret[*j], base->ret[k]);
        }
    }
    for (std::size_t k = 0; k < base_tb.size(); ++k)
        EXPECT_LE(base_tb.t1[k], base_tb.time[k] + tb.horizon * s.timeframe.ms());
}

TEST(Labels, bad_parameters_are_input_errors_naming_the_parameter) {
    const BarSeries s = test::synthetic_bars(50, 1);
    TripleBarrierParams p;
    p.pt_mult = 0;
    try {
        triple_barrier_labels(s, p);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("pt"), std::string::npos);
    }
    FixedHorizonParams f;
    f.horizon = 0;
    EXPECT_THROW(fixed_horizon_labels(s, f), InputError);
    f.horizon = 1;
    f.dead_zone = -1;
    EXPECT_THROW(fixed_horizon_labels(s, f), InputError);
}
