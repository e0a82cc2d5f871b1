// TensorBoard event files: CRC-32C against the standard check value, the TFRecord frame layout,
// and the writer's files (the Python decoder test, tests/python/rl_tfevents_decode.py, reads them
// back independently).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "rl/tfevents_writer.hpp"
#include "support/test_support.hpp"

using namespace aurum;

TEST(TfEvents, Crc32cMatchesTheCastagnoliCheckValue) {
    // The CRC catalogue's check value for CRC-32C over "123456789".
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(""), 0u);
    const std::uint32_t c = crc32c("abc");
    EXPECT_EQ(masked_crc32c("abc"), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TfEvents, FrameHoldsLengthCrcsAndData) {
    const std::string data = "hello tensorboard";
    const std::string f = tfrecord_frame(data);
    ASSERT_EQ(f.size(), 8 + 4 + data.size() + 4);
    std::uint64_t len = 0;
    std::memcpy(&len, f.data(), 8);
    EXPECT_EQ(len, data.size());
    std::uint32_t len_crc = 0, data_crc = 0;
    std::memcpy(&len_crc, f.data() + 8, 4);
    std::memcpy(&data_crc, f.data() + 12 + data.size(), 4);
    EXPECT_EQ(len_crc, masked_crc32c(f.substr(0, 8)));
    EXPECT_EQ(f.substr(12, data.size()), data);
    EXPECT_EQ(data_crc, masked_crc32c(data));
}

TEST(TfEvents, ScalarEventIsProtobufWireFormat) {
    // Event{wall_time=1.5 (field 1, fixed64), step=300 (field 2, varint),
    //       summary (field 5) {value (1) {tag (1) "r", simple_value (2, fixed32) 2.0}}}
    const std::string e = encode_scalar_event(1.5, 300, "r", 2.0f);
    std::string want;
    want += '\x09';
    double w = 1.5;
    want.append(reinterpret_cast<const char*>(&w), 8);
    want += "\x10\xac\x02"; // 300 as a varint
    want += "\x2a\x0a\x0a\x08\x0a\x01r\x15";
    float v = 2.0f;
    want.append(reinterpret_cast<const char*>(&v), 4);
    EXPECT_EQ(e, want);
}

TEST(TfEvents, WriterCreatesTheEventFileAndItsCsvMirror) {
    const test::TempDir dir;
    std::filesystem::path events, csv;
    {
        EventWriter w(dir.path() / "runs", "unit");
        w.scalar_at(100.0, "reward/mean", 1, 0.25);
        w.scalar_at(101.0, "shield/interventions", 2, 7);
        w.flush();
        events = w.path();
        csv = w.csv_path();
    }
    EXPECT_EQ(events.parent_path(), dir.path() / "runs" / "unit");
    EXPECT_EQ(events.filename().string().rfind("events.out.tfevents.", 0), 0u);
    std::ifstream in(events, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    // First record: the file_version event.
    const std::string first = tfrecord_frame(encode_file_version_event(0, 0, "brain.Event:2"));
    ASSERT_GT(bytes.size(), first.size());
    EXPECT_NE(bytes.find("brain.Event:2"), std::string::npos);
    EXPECT_NE(bytes.find(tfrecord_frame(encode_scalar_event(100.0, 1, "reward/mean", 0.25f))),
              std::string::npos);
    std::ifstream c(csv);
    std::string header, row1;
    std::getline(c, header);
    std::getline(c, row1);
    EXPECT_EQ(header, "wall_time,step,tag,value");
    EXPECT_EQ(row1, "100.000,1,reward/mean,0.25");
}
