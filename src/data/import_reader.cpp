#include "data/import_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace aurum {

FileByteInput::FileByteInput(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_)
        throw InputError("cannot open '" + path + "': " + std::strerror(errno));
}

FileByteInput::~FileByteInput() {
    if (f_)
        std::fclose(f_);
}

std::size_t FileByteInput::read(char* dst, std::size_t n) {
    const std::size_t got = std::fread(dst, 1, n, f_);
    if (got < n && std::ferror(f_))
        throw SystemError("error reading '" + path_ + "': " + std::strerror(errno));
    return got;
}

std::size_t MemoryByteInput::read(char* dst, std::size_t n) {
    const std::size_t k = std::min(n, bytes_.size() - pos_);
    if (k)
        std::memcpy(dst, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
}

DecodingReader::DecodingReader(ByteInput& in, std::size_t block_bytes)
    : in_(in), block_(block_bytes < 64 ? 64 : block_bytes) {
    raw_.resize(block_);
}

namespace {
void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}
} // namespace

void DecodingReader::decode_utf16(const unsigned char* p, std::size_t n, std::string& out) {
    std::size_t i = 0;
    out.reserve(out.size() + n / 2 + 4);
    auto unit_at = [&](unsigned a, unsigned b) {
        return enc_ == TextEncoding::Utf16le ? (a | (b << 8)) : ((a << 8) | b);
    };
    auto emit = [&](unsigned u) {
        if (pending_high_) {
            if (u >= 0xDC00 && u <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((pending_high_ - 0xD800) << 10) + (u - 0xDC00));
                pending_high_ = 0;
                return;
            }
            append_utf8(out, 0xFFFD); // lone high surrogate
            pending_high_ = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF)
            pending_high_ = u;
        else if (u >= 0xDC00 && u <= 0xDFFF)
            append_utf8(out, 0xFFFD);
        else
            append_utf8(out, u);
    };
    if (pending_byte_ >= 0 && n > 0) {
        emit(unit_at(static_cast<unsigned>(pending_byte_), p[0]));
        pending_byte_ = -1;
        i = 1;
    }
    for (; i + 1 < n; i += 2) {
        const unsigned u = unit_at(p[i], p[i + 1]);
        if (u < 0x80 && !pending_high_)
            out.push_back(static_cast<char>(u)); // ASCII fast path
        else
            emit(u);
    }
    if (i < n)
        pending_byte_ = p[i];
}

bool DecodingReader::read_more(std::string& out) {
    std::size_t got = in_.read(raw_.data(), block_);
    if (got == 0) {
        // A dangling half code unit or surrogate at the end: show it as a replacement char so
        // the parser reports the broken last line instead of silently dropping bytes.
        if (pending_byte_ >= 0 || pending_high_) {
            pending_byte_ = -1;
            pending_high_ = 0;
            append_utf8(out, 0xFFFD);
            return true;
        }
        return false;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(raw_.data());
    if (!started_) {
        started_ = true;
        // Fill at least 4 bytes so the BOM/NUL sniffing below sees enough.
        while (got < 4) {
            const std::size_t more = in_.read(raw_.data() + got, block_ - got);
            if (more == 0)
                break;
            got += more;
        }
        if (got >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
            p += 3;
            got -= 3;
        } else if (got >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
            enc_ = TextEncoding::Utf16le;
            p += 2;
            got -= 2;
        } else if (got >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
            enc_ = TextEncoding::Utf16be;
            p += 2;
            got -= 2;
        } else if (got >= 4 && p[0] != 0 && p[1] == 0 && p[2] != 0 && p[3] == 0) {
            enc_ = TextEncoding::Utf16le; // ASCII text in UTF-16LE without a BOM
        } else if (got >= 4 && p[0] == 0 && p[1] != 0 && p[2] == 0 && p[3] != 0) {
            enc_ = TextEncoding::Utf16be;
        }
    }
    if (enc_ == TextEncoding::Utf8)
        out.append(reinterpret_cast<const char*>(p), got);
    else
        decode_utf16(p, got, out);
    return true;
}

} // namespace aurum
