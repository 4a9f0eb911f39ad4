// Error categories: every layer names its own failures with an enum and a
// std::error_category (io::PoolErrc, store::StoreErrc, imap::MailboxErrc,
// pop3::MaildropErrc, delivery::ClientErrc, dns::DnsStatus; errno values use
// std::generic_category). Error::code is a std::error_code, so a value
// compares equal only to the same value of the same layer: the pool's
// "busy" can no longer be read as the store's "mailbox exists" because
// both happened to be 11.
//
// Each category is an inline function in its layer's header (one object in
// the program, as an inline function's static is): naming a layer's errors
// never means linking that layer (src/imap reports the store's errors
// without linking RocksDB).
//
// Condition is what a protocol needs to know of an error from a layer it
// does not see (SMTP and POP3 do not know the pool): whether it means
// "overloaded, try later" or "shutting down". A category says which of its
// values stand for which (TableCategory's `condition`), and a protocol tests
// `e.code == Condition::kOverloaded` (std::error_condition equivalence).
#pragma once

#include <cstddef>
#include <string>
#include <system_error>

namespace ringpost {

enum class Condition {
    kOverloaded = 1,   // a bounded queue is full: try again later
    kShuttingDown,     // the server is stopping: this connection should end
};

const std::error_category& condition_category() noexcept;
inline std::error_condition make_error_condition(Condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

// One value of a layer's enum: its message, and the Condition it stands for
// (none when Condition{}).
struct ErrorInfo {
    const char* message;
    Condition condition = Condition{};
};

// A layer's category from its name and a table of ErrorInfo, the first
// for value 1 (value 0 is success, as in every std::error_code).
class TableCategory final : public std::error_category {
public:
    template <size_t N>
    constexpr TableCategory(const char* name, const ErrorInfo (&table)[N]) : name_(name), table_(table), size_(N) {}
    const char* name() const noexcept override { return name_; }
    std::string message(int value) const override;
    std::error_condition default_error_condition(int value) const noexcept override;

private:
    const ErrorInfo* info(int value) const noexcept;

    const char* name_;
    const ErrorInfo* table_;
    size_t size_;
};

}  // namespace ringpost

template <>
struct std::is_error_condition_enum<ringpost::Condition> : std::true_type {};
