#pragma once
// Block reader for importers: reads a file (or memory) in fixed-size blocks and decodes it to
// UTF-8 on the fly, so UTF-16LE/BE exports (MT5 writes UTF-16LE with a BOM) stream in bounded
// memory like plain ASCII files.
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace aurum {

/// Where the raw bytes come from.
class ByteInput {
  public:
    virtual ~ByteInput() = default;
    /// Reads up to n bytes into dst; returns 0 at end of input. Throws SystemError on I/O errors.
    virtual std::size_t read(char* dst, std::size_t n) = 0;
};

/// Bytes of a file on disk. Throws InputError when it cannot be opened.
class FileByteInput final : public ByteInput {
  public:
    explicit FileByteInput(const std::string& path);
    ~FileByteInput() override;
    FileByteInput(const FileByteInput&) = delete;
    FileByteInput& operator=(const FileByteInput&) = delete;
    std::size_t read(char* dst, std::size_t n) override;

  private:
    std::FILE* f_ = nullptr;
    std::string path_;
};

/// Bytes already in memory (fuzzing, benchmarks, tests).
class MemoryByteInput final : public ByteInput {
  public:
    explicit MemoryByteInput(std::string_view bytes) : bytes_(bytes) {}
    std::size_t read(char* dst, std::size_t n) override;

  private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

/// Text encodings the reader recognises by byte-order mark (or by NUL-byte pattern).
enum class TextEncoding { Utf8, Utf16le, Utf16be };

/// Appends the input, decoded to UTF-8, block by block. A UTF-8 BOM is dropped.
class DecodingReader {
  public:
    DecodingReader(ByteInput& in, std::size_t block_bytes);
    /// Appends the next decoded block to `out`; false (nothing appended) at end of input.
    bool read_more(std::string& out);
    TextEncoding encoding() const { return enc_; }

  private:
    void decode_utf16(const unsigned char* p, std::size_t n, std::string& out);
    ByteInput& in_;
    std::string raw_;
    std::size_t block_;
    bool started_ = false;
    TextEncoding enc_ = TextEncoding::Utf8;
    int pending_byte_ = -1;     ///< odd trailing byte of a UTF-16 block
    unsigned pending_high_ = 0; ///< high surrogate waiting for its low half
};

} // namespace aurum
