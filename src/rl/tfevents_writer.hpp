#pragma once
// TensorBoard event files written from C++ with no protobuf dependency: TFRecord framing (length,
// masked CRC32C of the length, data, masked CRC32C of the data) around Event protos encoded by
// hand in protobuf wire format. Format notes in docs/rl.md ("TensorBoard event files").
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace aurum {

/// CRC-32C (Castagnoli) of `data`, as TFRecord uses it.
std::uint32_t crc32c(std::string_view data);
/// TFRecord's masked CRC: rotate right by 15 bits, add 0xa282ead8.
std::uint32_t masked_crc32c(std::string_view data);
/// One TFRecord: uint64 length (little endian), masked CRC of those 8 bytes, data, masked CRC.
std::string tfrecord_frame(std::string_view data);
/// Event{wall_time, step, file_version} as protobuf bytes.
std::string encode_file_version_event(double wall_time, std::int64_t step,
                                      std::string_view version);
/// Event{wall_time, step, summary: Summary{value: [Value{tag, simple_value}]}} as protobuf bytes.
std::string encode_scalar_event(double wall_time, std::int64_t step, std::string_view tag,
                                float value);

/// Writes `<root>/<run>/events.out.tfevents.<unix seconds>.<host>` (first record: file_version
/// "brain.Event:2") and mirrors every scalar into `<root>/<run>/scalars.csv`
/// (wall_time,step,tag,value). Throws SystemError when a file cannot be created.
class EventWriter {
  public:
    EventWriter(const std::filesystem::path& root, const std::string& run);
    /// One scalar (TensorBoard's "simple_value"); the wall time is now.
    void scalar(std::string_view tag, std::int64_t step, double value);
    /// The same with an explicit wall time (seconds since the epoch), for reproducible files.
    void scalar_at(double wall_time, std::string_view tag, std::int64_t step, double value);
    void flush();
    const std::filesystem::path& path() const { return path_; }
    const std::filesystem::path& csv_path() const { return csv_path_; }

  private:
    std::filesystem::path path_, csv_path_;
    std::ofstream events_, csv_;
};

} // namespace aurum
