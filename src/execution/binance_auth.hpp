#pragma once
// Credentials and request signing for Binance SIGNED endpoints
// (../shared/data/docs/binance/rest-api.md, "SIGNED Endpoint security": HMAC-SHA256 of the query
// string concatenated with the body, keyed with the secret, sent as `signature`).
#include <filesystem>
#include <string>
#include <string_view>

#include "data/binance_rest.hpp" // hmac_sha256_hex

namespace aurum {

/// An API key and its secret, and where they came from (for messages; never the values).
struct BinanceCredentials {
    std::string api_key;
    std::string api_secret;
    std::string source; ///< "environment" or the file path
};

/// Reads credentials from AURUM_BINANCE_API_KEY / AURUM_BINANCE_API_SECRET when both are set,
/// else from `<home>/secrets/binance.json` ({"api_key": "...", "api_secret": "..."}), which must
/// be readable by its owner only (mode 0600). Throws InputError naming what is missing or wrong.
BinanceCredentials load_binance_credentials(const std::filesystem::path& home);

} // namespace aurum
