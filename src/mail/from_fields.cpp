#include "mail/from_fields.hpp"

#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

FromFields read_from_fields(std::string_view message) {
    FromFields out;
    HeaderReader reader(message.substr(0, header_section_size(message)));
    HeaderField field;
    while (reader.next(field)) {
        if (!util::iequals(field.name, "from")) continue;
        if (out.count++ > 0) continue;
        for (Address& a : parse_address_list(unfold(field.value))) {
            if (a.kind != Address::Kind::kMailbox) continue;
            if (a.mailbox == kMissingMailbox) a.mailbox.clear();
            if (a.host == kMissingDomain) a.host.clear();
            out.mailboxes.push_back(std::move(a));
        }
    }
    return out;
}

}  // namespace ringpost::mail
