#pragma once
// One table per enum between its values and the text they are stored or typed as, so every enum
// is read through a lookup that refuses unknown text (never a silent default).
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"

namespace aurum {

/// Value <-> name pairs of one enum, in the order they are listed to a user.
template <typename E, std::size_t N> class EnumTable {
  public:
    using Entry = std::pair<E, std::string_view>;
    constexpr explicit EnumTable(std::array<Entry, N> entries) : entries_(entries) {}

    /// The name of `e`; InvariantError for a value the table lacks (a programming error).
    std::string name(E e) const {
        for (const auto& [v, n] : entries_)
            if (v == e) return std::string(n);
        throw InvariantError("enum value " + std::to_string(static_cast<long>(e)) +
                             " has no name in its table");
    }
    /// The value named `text` exactly; nullopt when none is.
    std::optional<E> find(std::string_view text) const {
        for (const auto& [v, n] : entries_)
            if (n == text) return v;
        return std::nullopt;
    }
    /// "a, b, c": the known names, for error messages.
    std::string names() const {
        std::string out;
        for (const auto& [v, n] : entries_) out += (out.empty() ? "" : ", ") + std::string(n);
        return out;
    }
    /// find(), or InputError "<what>: unknown value 'x' (known: a, b, c)".
    E parse(std::string_view text, std::string_view what) const {
        if (auto v = find(text)) return *v;
        throw InputError(std::string(what) + ": unknown value '" + std::string(text) +
                         "' (known: " + names() + ")");
    }

  private:
    std::array<Entry, N> entries_;
};

} // namespace aurum
