// RocksDB's info log into util/log; see info_log.hpp.
#include "store/info_log.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string_view>

#include "util/log.hpp"

namespace ringpost::store {
namespace {

class ForwardingLogger final : public rocksdb::Logger {
public:
    ForwardingLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

    // The level-less form is RocksDB's INFO.
    void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

    void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
        // HEADER_LEVEL sorts above FATAL but is the options dump at open.
        if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
        char buf[1024];
        int n = std::vsnprintf(buf, sizeof buf, format, ap);
        if (n < 0) return;
        std::string_view text(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
        while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL)
            log::error("rocksdb", {{"message", text}});
        else
            log::warn("rocksdb", {{"message", text}});
    }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_info_log() { return std::make_shared<ForwardingLogger>(); }

}  // namespace ringpost::store
