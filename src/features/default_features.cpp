// The shipped config/features.yaml, built in so `aurum features build` works in a fresh workspace.
// A unit test checks this text is identical to config/features.yaml.
#include "features/feature_set.hpp"

namespace aurum {

const std::string& FeatureConfig::default_yaml() {
    static const std::string text = R"yaml(# Feature sets for `aurum features build --set NAME` (docs/features.md, docs/indicators.md).
# A set's ID is the SHA-256 of its canonical definition (every parameter, defaults included), so
# any change to a feature changes the ID and models trained on the old set refuse the new one.
#
# Each feature: {indicator: NAME, <parameters>, name: COLUMN (optional), outputs: [..] (optional)}.
# `aurum features show --indicators` lists every indicator with its parameters and outputs.

# A gap of more than this many missing in-session bars resets every indicator (logged).
max_gap_bars: 3
default_set: default

sets:
  default:
    description: price/volume features for any symbol (about 40 columns)
    features:
      - {indicator: log_return, period: 1}
      - {indicator: log_return, period: 4}
      - {indicator: log_return, period: 12}
      - {indicator: log_return, period: 24}
      - {indicator: roc, period: 10}
      - {indicator: rsi, period: 14}
      - {indicator: rsi, period: 7}
      - {indicator: macd, fast: 12, slow: 26, signal: 9, normalize: true}
      - {indicator: bollinger, period: 20, k: 2, outputs: [pctb, bandwidth]}
      - {indicator: atr, period: 14, outputs: [pct]}
      - {indicator: adx, period: 14}
      - {indicator: stoch, k: 14, slow_k: 3, d: 3}
      - {indicator: williams_r, period: 14}
      - {indicator: cci, period: 20}
      - {indicator: obv, period: 20, outputs: [norm]}
      - {indicator: mfi, period: 14}
      - {indicator: vwap, period: 20, outputs: [dist]}
      - {indicator: zscore, period: 20}
      - {indicator: zscore, period: 50}
      - {indicator: skew, period: 30, input: return}
      - {indicator: kurtosis, period: 30, input: return}
      - {indicator: rv_cc, period: 20}
      - {indicator: rv_parkinson, period: 20}
      - {indicator: rv_gk, period: 20}
      - {indicator: volume_zscore, period: 20}
      - {indicator: ma_distance, period: 20, type: ema}
      - {indicator: ma_distance, period: 50, type: sma}
      - {indicator: ma_distance, period: 200, type: sma}
      - {indicator: ma_distance, period: 20, type: wma}
      - {indicator: time_encoding}

  # Gold from MT5 exports: the default set plus spread features.
  gold:
    extends: default
    features:
      - {indicator: spread, period: 50}

  # Adds the causal regime (volatility percentile + trend score) as one-hot columns.
  regime:
    extends: default
    features:
      - {indicator: regime, trend_window: 50, vol_window: 20, lookback: 1000}

  # For altcoins: BTC/USDT as the reference asset (needs its bars in the store, same timeframe).
  cross_btc:
    extends: default
    features:
      - {indicator: cross_asset, reference: BTC/USDT, period: 30, name: btc}

  # On-chain and sentiment (fetch first: aurum features external coinmetrics / fear-greed).
  onchain:
    extends: default
    features:
      - {indicator: external, series: "coinmetrics:btc:CapMVRVCur", transform: zscore, window: 365, name: mvrv_z}
      - {indicator: external, series: "coinmetrics:btc:NetFlowExNtv", transform: zscore, window: 90, name: netflow_z}
      - {indicator: external, series: "fng:value", transform: raw, name: fear_greed}
)yaml";
    return text;
}

} // namespace aurum
