#include "rl/tfevents_writer.hpp"

#include <array>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>

#include "core/error.hpp"

namespace aurum {

namespace {

// Reflected CRC-32C polynomial (Castagnoli).
constexpr std::uint32_t kCastagnoli = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCastagnoli : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kCrcTable = crc_table();

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

template <class T> void put_le(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T)); // x86-64 and aarch64 Linux are little endian
    out.append(b, sizeof(T));
}

/// Field key: (field number << 3) | wire type.
void put_key(std::string& out, int field, int wire) {
    put_varint(out, static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire));
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
    put_key(out, field, 2);
    put_varint(out, bytes.size());
    out.append(bytes);
}

/// Event fields 1 (wall_time, double) and 2 (step, int64 varint).
std::string event_head(double wall_time, std::int64_t step) {
    std::string e;
    put_key(e, 1, 1);
    put_le(e, wall_time);
    put_key(e, 2, 0);
    put_varint(e, static_cast<std::uint64_t>(step));
    return e;
}

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::uint32_t crc32c(std::string_view data) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (const char ch : data) c = kCrcTable[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::uint32_t masked_crc32c(std::string_view data) {
    const std::uint32_t c = crc32c(data);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord_frame(std::string_view data) {
    std::string len;
    put_le(len, static_cast<std::uint64_t>(data.size()));
    std::string out = len;
    put_le(out, masked_crc32c(len));
    out.append(data);
    put_le(out, masked_crc32c(data));
    return out;
}

std::string encode_file_version_event(double wall_time, std::int64_t step,
                                      std::string_view version) {
    std::string e = event_head(wall_time, step);
    put_bytes(e, 3, version);
    return e;
}

std::string encode_scalar_event(double wall_time, std::int64_t step, std::string_view tag,
                                float value) {
    std::string v; // Summary.Value: tag = 1, simple_value = 2 (float, fixed32)
    put_bytes(v, 1, tag);
    put_key(v, 2, 5);
    put_le(v, value);
    std::string summary; // Summary: repeated Value value = 1
    put_bytes(summary, 1, v);
    std::string e = event_head(wall_time, step);
    put_bytes(e, 5, summary); // Event.summary = 5
    return e;
}

EventWriter::EventWriter(const std::filesystem::path& root, const std::string& run) {
    const std::filesystem::path dir = root / run;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SystemError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    const double t = now_seconds();
    path_ = dir / fmt::format("events.out.tfevents.{}.{}", static_cast<long long>(t), host_name());
    csv_path_ = dir / "scalars.csv";
    events_.open(path_, std::ios::binary | std::ios::trunc);
    if (!events_) throw SystemError("cannot create " + path_.string());
    const bool fresh = !std::filesystem::exists(csv_path_);
    csv_.open(csv_path_, std::ios::app);
    if (!csv_) throw SystemError("cannot create " + csv_path_.string());
    if (fresh) csv_ << "wall_time,step,tag,value\n";
    events_ << tfrecord_frame(encode_file_version_event(t, 0, "brain.Event:2"));
}

void EventWriter::scalar(std::string_view tag, std::int64_t step, double value) {
    scalar_at(now_seconds(), tag, step, value);
}

void EventWriter::scalar_at(double wall_time, std::string_view tag, std::int64_t step,
                            double value) {
    events_ << tfrecord_frame(encode_scalar_event(wall_time, step, tag, static_cast<float>(value)));
    csv_ << fmt::format("{:.3f},{},{},{:.9g}\n", wall_time, step, tag, value);
}

void EventWriter::flush() {
    events_.flush();
    csv_.flush();
}

} // namespace aurum
