// The MIME summary stored with every mailbox message; see message_format.hpp.
#include "mail/mime.hpp"
#include "store/message_format.hpp"

namespace ringpost::store {

std::string message_summary(std::string_view prefix, std::string_view body) {
    if (prefix.empty()) return mail::encode_summary(mail::summarize_message(body));
    std::string message;
    message.reserve(prefix.size() + body.size());
    message.append(prefix);
    message.append(body);
    return mail::encode_summary(mail::summarize_message(message));
}

}  // namespace ringpost::store
