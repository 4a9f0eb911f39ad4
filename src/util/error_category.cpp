// TableCategory and the Condition category (see error_category.hpp).
#include "util/error_category.hpp"

namespace ringpost {
namespace {

constexpr ErrorInfo kConditions[] = {
    {"overloaded, try again later"},
    {"shutting down"},
};

}  // namespace

const std::error_category& condition_category() noexcept {
    static const TableCategory category("condition", kConditions);
    return category;
}

const ErrorInfo* TableCategory::info(int value) const noexcept {
    if (value < 1 || static_cast<size_t>(value) > size_) return nullptr;
    return &table_[value - 1];
}

std::string TableCategory::message(int value) const {
    if (const ErrorInfo* i = info(value)) return i->message;
    return value == 0 ? "success" : std::string(name_) + " error " + std::to_string(value);
}

std::error_condition TableCategory::default_error_condition(int value) const noexcept {
    const ErrorInfo* i = info(value);
    if (i && i->condition != Condition{}) return make_error_condition(i->condition);
    return {value, *this};
}

}  // namespace ringpost
