// An envelope recipient with only its address set, for the milter tests.
#pragma once

#include <string>

#include "mail/envelope.hpp"

namespace ringpost::milter::test {

inline mail::Recipient recipient(std::string address) {
    mail::Recipient r;
    r.address = std::move(address);
    return r;
}

}  // namespace ringpost::milter::test
