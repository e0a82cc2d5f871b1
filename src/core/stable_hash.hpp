#pragma once
// The one frozen hash behind stored ids (session ids, client order ids, run ids).
#include <cstdint>
#include <string_view>

namespace aurum {

/// FNV-1a steps (xor a byte, multiply by the FNV-64 prime 1099511628211) seeded with
/// 1469598103934665603: the FNV-64 offset basis 14695981039346656037 with its last digit lost.
/// So it is not FNV-1a, and must never be "fixed": ids already stored were made with it.
class Fnv1aShortBasis64 {
public:
    static constexpr std::uint64_t kSeed = 1469598103934665603ULL;
    static constexpr std::uint64_t kPrime = 1099511628211ULL;

    constexpr Fnv1aShortBasis64& add(std::string_view bytes) {
        for (unsigned char c : bytes) add_byte(c);
        return *this;
    }
    constexpr Fnv1aShortBasis64& add_byte(unsigned char c) {
        h_ = (h_ ^ c) * kPrime;
        return *this;
    }
    constexpr std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = kSeed;
};

/// Fnv1aShortBasis64 of `bytes`.
constexpr std::uint64_t fnv1a_short_basis64(std::string_view bytes) {
    return Fnv1aShortBasis64().add(bytes).value();
}

} // namespace aurum
