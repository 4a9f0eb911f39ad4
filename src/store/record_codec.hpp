// The field encoding every store record shares (records.hpp, event_record.hpp):
// unsigned integers as LEB128 varints, signed ones zigzag + varint, strings
// as varint length + bytes. Internal to src/store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::store {

class Writer {
public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void varint(uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
    void str(std::string_view s) {
        varint(s.size());
        out_.append(s);
    }
    // Writing after what `out` already holds (a key or time prefix).
    void start_from(std::string out) { out_ = std::move(out); }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// Reads fields; once a read fails every later read fails too, so decoders
// check ok() once at the end instead of after every field.
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ >= in_.size(); }

    uint8_t u8() {
        if (!ok_ || pos_ >= in_.size()) return fail<uint8_t>();
        return static_cast<uint8_t>(in_[pos_++]);
    }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            uint8_t b = u8();
            if (!ok_) return 0;
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        return fail<uint64_t>();  // more than 10 bytes: corrupt
    }
    int64_t svarint() {
        uint64_t z = varint();
        return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
    uint32_t u32() {
        uint64_t v = varint();
        if (v > UINT32_MAX) return fail<uint32_t>();
        return static_cast<uint32_t>(v);
    }
    std::string str() { return std::string(view()); }
    // A string field without copying it (valid as long as the input is).
    std::string_view view() {
        uint64_t n = varint();
        if (!ok_ || n > in_.size() - pos_) return fail<std::string_view>();
        std::string_view s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    // An enum stored as one byte, valid if <= max.
    template <class E>
    E enum8(uint8_t max) {
        uint8_t v = u8();
        if (v > max) return fail<E>();
        return static_cast<E>(v);
    }

private:
    template <class T>
    T fail() {
        ok_ = false;
        return T{};
    }
    std::string_view in_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace ringpost::store
