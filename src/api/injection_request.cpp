#include "api/injection_request.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "api/fast_json.hpp"
#include "mail/compose.hpp"
#include "util/base64.hpp"

namespace ringpost::api {

namespace {

using nlohmann::json;
using Substitutions = std::map<std::string, std::string, std::less<>>;

Error bad(const std::string& field, const std::string& why) { return make_error(field + ": " + why); }

struct Recipient {
    std::string email;
    std::string name;
    Substitutions substitutions;
};

// Optional string member: "" when absent; an error when not a string.
Result<std::string> string_member(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string();
    if (!it->is_string()) return bad(path + "." + key, "expected a string");
    return it->get<std::string>();
}

Result<Substitutions> substitutions(const json& obj, const std::string& path) {
    Substitutions out;
    auto it = obj.find("substitutions");
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_object()) return bad(path + "substitutions", "expected an object of strings");
    for (const auto& [key, value] : it->items()) {
        if (value.is_string()) out[key] = value.get<std::string>();
        else if (value.is_number() || value.is_boolean()) out[key] = value.dump();
        else return bad(path + "substitutions." + key, "expected a string or a number");
    }
    return out;
}

Result<std::vector<Recipient>> recipients(const json& doc, const InjectionLimits& limits) {
    auto it = doc.find("recipients");
    if (it == doc.end() || !it->is_array() || it->empty()) return bad("recipients", "expected a non-empty array");
    if (it->size() > limits.max_request_recipients)
        return bad("recipients", "more than " + std::to_string(limits.max_request_recipients) + " in one request");
    std::vector<Recipient> out;
    for (size_t i = 0; i < it->size(); ++i) {
        const json& r = (*it)[i];
        const std::string path = "recipients[" + std::to_string(i) + "]";
        Recipient rcpt;
        if (r.is_string()) {
            rcpt.email = r.get<std::string>();
        } else if (r.is_object()) {
            auto email = string_member(r, "email", path);
            auto name = string_member(r, "name", path);
            auto subs = substitutions(r, path + ".");
            if (!email) return email.error();
            if (!name) return name.error();
            if (!subs) return subs.error();
            rcpt = {std::move(*email), std::move(*name), std::move(*subs)};
        } else {
            return bad(path, "expected an address or an object with \"email\"");
        }
        if (rcpt.email.empty()) return bad(path + ".email", "missing");
        out.push_back(std::move(rcpt));
    }
    return out;
}

// "{{ key }}" -> its value: the recipient's, else the request's.
Result<std::string> substitute(std::string_view text, const Substitutions& own, const Substitutions& common,
                               const std::string& path) {
    std::string out;
    size_t pos = 0;
    while (true) {
        const size_t open = text.find("{{", pos);
        const size_t close = open == text.npos ? text.npos : text.find("}}", open + 2);
        if (close == text.npos) break;
        std::string_view key = text.substr(open + 2, close - open - 2);
        while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
        while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
        out.append(text.substr(pos, open - pos));
        auto it = own.find(key);
        if (it == own.end()) it = common.find(key);
        if (it == common.end()) return bad(path, "no substitution for {{" + std::string(key) + "}}");
        out += it->second;
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

Result<mail::NamedAddress> named_address(const json& v, const std::string& path) {
    if (v.is_string()) return mail::NamedAddress{"", v.get<std::string>()};
    if (!v.is_object()) return bad(path, "expected an address or {\"email\", \"name\"}");
    auto email = string_member(v, "email", path);
    auto name = string_member(v, "name", path);
    if (!email) return email.error();
    if (!name) return name.error();
    return mail::NamedAddress{std::move(*name), std::move(*email)};
}

Result<std::vector<mail::Attachment>> attachments(const json& content) {
    std::vector<mail::Attachment> out;
    auto it = content.find("attachments");
    if (it == content.end() || it->is_null()) return out;
    if (!it->is_array()) return bad("content.attachments", "expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
        const json& a = (*it)[i];
        const std::string path = "content.attachments[" + std::to_string(i) + "]";
        if (!a.is_object()) return bad(path, "expected an object");
        auto data = string_member(a, "data", path);
        auto type = string_member(a, "content_type", path);
        auto file = string_member(a, "file_name", path);
        auto cid = string_member(a, "content_id", path);
        for (auto* r : {&data, &type, &file, &cid})
            if (!*r) return r->error();
        mail::Attachment att{std::move(*file), type->empty() ? "application/octet-stream" : std::move(*type), {},
                             std::move(*cid)};
        auto b64 = a.find("base64");
        if (b64 != a.end() && b64->is_boolean() && b64->get<bool>()) {
            if (!base64::decode(*data, att.data)) return bad(path + ".data", "not valid base64");
        } else {
            att.data = std::move(*data);
        }
        out.push_back(std::move(att));
    }
    return out;
}

// The structured content's fixed parts (everything but the recipient).
Result<mail::Composition> composition(const json& content) {
    mail::Composition c;
    auto from = content.find("from");
    if (from == content.end()) return bad("content.from", "missing");
    auto f = named_address(*from, "content.from");
    if (!f) return f.error();
    c.from = std::move(*f);
    if (auto rt = content.find("reply_to"); rt != content.end() && !rt->is_null()) {
        auto r = named_address(*rt, "content.reply_to");
        if (!r) return r.error();
        c.reply_to.push_back(std::move(*r));
    }
    auto subject = string_member(content, "subject", "content");
    auto text = string_member(content, "text_body", "content");
    auto html = string_member(content, "html_body", "content");
    for (auto* r : {&subject, &text, &html})
        if (!*r) return r->error();
    c.subject = std::move(*subject);
    c.text = std::move(*text);
    c.html = std::move(*html);
    if (auto h = content.find("headers"); h != content.end() && !h->is_null()) {
        if (!h->is_object()) return bad("content.headers", "expected an object of strings");
        for (const auto& [name, value] : h->items()) {
            if (!value.is_string()) return bad("content.headers." + name, "expected a string");
            c.headers.emplace_back(name, value.get<std::string>());
        }
    }
    auto att = attachments(content);
    if (!att) return att.error();
    c.attachments = std::move(*att);
    return c;
}

Result<std::vector<InjectionMessage>> structured_messages(const std::string& sender, const json& content,
                                                          const std::vector<Recipient>& rcpts,
                                                          const Substitutions& common, uint64_t seed) {
    auto base = composition(content);
    if (!base) return base.error();
    std::vector<InjectionMessage> out;
    for (size_t i = 0; i < rcpts.size(); ++i) {
        const std::string path = "recipients[" + std::to_string(i) + "]";
        mail::Composition c = *base;
        c.to = {{rcpts[i].name, rcpts[i].email}};
        for (auto [field, text] : {std::pair{"subject", &c.subject}, {"text_body", &c.text}, {"html_body", &c.html}}) {
            auto s = substitute(*text, rcpts[i].substitutions, common, path + ": content." + field);
            if (!s) return s.error();
            *text = std::move(*s);
        }
        auto composed = mail::compose(c, seed + i);
        if (!composed) return bad("content", composed.error().message);
        out.push_back({sender, {rcpts[i].email}, std::move(*composed)});
    }
    return out;
}

// Bare LF (what JSON writers usually send) and bare CR become CRLF. The
// text between line ends is copied a run at a time; memchr finds the next
// CR and the next LF, each searched again only once passed, so the text is
// read a word at a time whatever its mix of line ends
// (find_first_of("\r\n") called memchr once per byte: 7% of the server's
// CPU per injected message).
std::string crlf(std::string_view s) {
    std::string out;
    if (s.empty()) return out;
    out.reserve(s.size() + s.size() / 32 + 2);
    const char* p = s.data();
    const char* const end = p + s.size();
    auto find = [end](const char* from, char c) {
        const void* hit = std::memchr(from, c, static_cast<size_t>(end - from));
        return hit ? static_cast<const char*>(hit) : end;
    };
    const char* next_cr = find(p, '\r');
    const char* next_lf = find(p, '\n');
    while (p < end) {
        if (next_cr < p) next_cr = find(p, '\r');
        if (next_lf < p) next_lf = find(p, '\n');
        const char* e = std::min(next_cr, next_lf);
        out.append(p, static_cast<size_t>(e - p));
        if (e == end) break;
        out += "\r\n";
        // A CR LF pair is one line end.
        p = e + (*e == '\r' && e + 1 < end && e[1] == '\n' ? 2 : 1);
    }
    return out;
}

Result<std::vector<InjectionMessage>> raw_messages(const std::string& sender, std::string_view content,
                                                   const std::vector<Recipient>& rcpts, const Substitutions& common,
                                                   const InjectionLimits& limits) {
    if (content.empty()) return bad("content", "empty");
    std::vector<InjectionMessage> out;
    bool per_recipient = !common.empty();
    for (const Recipient& r : rcpts) per_recipient = per_recipient || !r.substitutions.empty();
    if (per_recipient) {
        for (size_t i = 0; i < rcpts.size(); ++i) {
            auto s = substitute(content, rcpts[i].substitutions, common, "recipients[" + std::to_string(i) + "]: content");
            if (!s) return s.error();
            out.push_back({sender, {rcpts[i].email}, crlf(*s)});
        }
        return out;
    }
    std::string bytes = crlf(content);
    const size_t chunk = std::max<uint32_t>(limits.max_recipients, 1);
    for (size_t i = 0; i < rcpts.size(); i += chunk) {
        // The last message takes the bytes; the others copy them.
        const bool last = i + chunk >= rcpts.size();
        InjectionMessage m{sender, {}, last ? std::move(bytes) : bytes};
        for (size_t j = i; j < std::min(rcpts.size(), i + chunk); ++j) m.recipients.push_back(rcpts[j].email);
        out.push_back(std::move(m));
    }
    return out;
}

Result<json> parse_json(std::string_view body) {
    if (auto fast = fast_parse_json(body)) {
        if (!fast->is_object()) return make_error("the request body must be a JSON object");
        return std::move(*fast);
    }
    try {
        json doc = json::parse(body);
        if (!doc.is_object()) return make_error("the request body must be a JSON object");
        return doc;
    } catch (const json::parse_error& e) {
        // nlohmann reports where; the message is one line.
        return make_error(std::string("not valid JSON: ") + e.what());
    }
}

}  // namespace

Result<std::vector<InjectionMessage>> parse_injection(std::string_view body, const InjectionLimits& limits,
                                                      uint64_t boundary_seed) {
    auto doc = parse_json(body);
    if (!doc) return doc.error();
    if (!doc->contains("envelope_sender")) return bad("envelope_sender", "missing (\"\" for the null sender)");
    auto sender = string_member(*doc, "envelope_sender", "request");
    if (!sender) return bad("envelope_sender", "expected a string (\"\" for the null sender)");
    auto rcpts = recipients(*doc, limits);
    if (!rcpts) return rcpts.error();
    auto common = substitutions(*doc, "");
    if (!common) return common.error();
    auto content = doc->find("content");
    if (content == doc->end()) return bad("content", "missing");
    if (content->is_string())
        return raw_messages(*sender, content->get_ref<const std::string&>(), *rcpts, *common, limits);
    if (content->is_object()) return structured_messages(*sender, *content, *rcpts, *common, boundary_seed);
    return bad("content", "expected the message as a string, or an object with from, subject, text_body ...");
}

}  // namespace ringpost::api
