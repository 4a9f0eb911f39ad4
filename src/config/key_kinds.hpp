// The kinds of configuration key: a factory per value type, each taking the
// key's name, its help line, an accessor to its Config field (a lambda
// `[](auto& c) -> auto& { return c.smtp.max_recipients; }`, written
// RP_FIELD(smtp.max_recipients)) and the type's range or rule. Internal to
// keys.cpp.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "config/keys.hpp"
#include "util/ascii.hpp"

// Both const and mutable access to one Config field.
#define RP_FIELD(path) [](auto& c_) -> auto& { return c_.path; }

namespace ringpost::config::kinds {

using Check = std::function<void(const Reader&, const std::string& key, const std::string& value)>;

std::string toml_strings(const std::vector<std::string>& items);
std::string toml_bytes(uint64_t bytes);        // "256M" when a whole multiple, else digits
std::string toml_delay(uint32_t ms);           // "1s", "250ms"

// A key read with one Reader call and written with one function: the
// shape of most kinds below.
template <class F, class Read, class Write>
Key simple(std::string name, std::string help, F field, Read read, Write write) {
    Key k{std::move(name), std::move(help)};
    k.read = [field, read](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto& f = field(c);
        f = static_cast<std::remove_cvref_t<decltype(f)>>(read(r, v, key));
    };
    k.write = [field, write](const Config& c) { return write(field(c)); };
    return k;
}

inline std::string decimal(uint64_t n) { return std::to_string(n); }

// An integer from min to max (whatever unsigned type the field has).
template <class F>
Key integer(std::string name, std::string help, F field, uint64_t min, uint64_t max = UINT32_MAX) {
    return simple(std::move(name), std::move(help), field,
                  [min, max](const Reader& r, const toml::node& v, const std::string& key) {
                      return r.integer(v, key, min, max);
                  }, decimal);
}

// Bytes as an integer, where 0 turns the limit off and anything else must reach `min`.
template <class F>
Key zero_or_at_least(std::string name, std::string help, F field, uint64_t min) {
    return simple(std::move(name), std::move(help), field,
                  [min](const Reader& r, const toml::node& v, const std::string& key) {
                      return r.zero_or_at_least(v, key, min);
                  }, decimal);
}

// Bytes as an integer or "256M".
template <class F>
Key byte_size(std::string name, std::string help, F field) {
    return simple(std::move(name), std::move(help), field, std::mem_fn(&Reader::byte_size), toml_bytes);
}

template <class F>
Key boolean(std::string name, std::string help, F field) {
    return simple(std::move(name), std::move(help), field, std::mem_fn(&Reader::boolean),
                  [](bool b) { return std::string(b ? "true" : "false"); });
}

// A string; `check`, if given, fails the key for a value it refuses.
template <class F>
Key string(std::string name, std::string help, F field, Check check = {}) {
    return simple(std::move(name), std::move(help), field,
                  [check](const Reader& r, const toml::node& v, const std::string& key) {
                      std::string s = r.string(v, key);
                      if (check) check(r, key, s);
                      return s;
                  }, toml_string);
}

// A string out of a fixed set.
template <class F>
Key choice(std::string name, std::string help, F field, std::vector<std::string_view> allowed) {
    return simple(std::move(name), std::move(help), field,
                  [allowed](const Reader& r, const toml::node& v, const std::string& key) {
                      return r.one_of(v, key, allowed);
                  }, toml_string);
}

// Seconds: an integer, or "30s", "5m", "1h30m".
template <class F>
Key duration(std::string name, std::string help, F field, bool allow_zero) {
    return simple(std::move(name), std::move(help), field,
                  [allow_zero](const Reader& r, const toml::node& v, const std::string& key) {
                      return r.duration(v, key, allow_zero);
                  }, [](uint32_t s) { return toml_string(toml_duration(s)); });
}

// Milliseconds up to max_ms: seconds (1, 0.25) or "250ms", "1s".
template <class F>
Key delay(std::string name, std::string help, F field, uint32_t max_ms) {
    return simple(std::move(name), std::move(help), field,
                  [max_ms](const Reader& r, const toml::node& v, const std::string& key) {
                      return r.milliseconds(v, key, max_ms);
                  }, toml_delay);
}

// A rules file: its path, read and checked as the key is read (so that a
// bad rule fails check-config and startup), into `specs` beside `path`.
template <class Path, class Specs, class Load>
Key rules_file(std::string name, std::string help, Path path, Specs specs, Load load) {
    Key k = string(std::move(name), std::move(help), path);
    k.read = [path, specs, load](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        std::string p = r.string(v, key);
        std::remove_cvref_t<decltype(specs(c))> loaded;
        try {
            if (!p.empty()) loaded = load(p);
        } catch (const ConfigError& e) {
            r.fail(key, e.what());
        }
        path(c) = std::move(p);
        specs(c) = std::move(loaded);
    };
    return k;
}

// Listen addresses; `required`: an empty list is an error (not "off").
template <class F>
Key listen(std::string name, std::string help, F field, bool required = false) {
    return simple(std::move(name), std::move(help), field,
                  [required](const Reader& r, const toml::node& v, const std::string& key) {
                      if (required && r.strings(v, key).empty()) r.fail(key, "expected at least one address");
                      return r.listen_list(v, key);
                  },
                  [](const std::vector<ListenAddress>& list) {
                      std::vector<std::string> texts;
                      for (const auto& l : list) texts.push_back(l.text);
                      return toml_strings(texts);
                  });
}

// A list of CIDR networks ("10.0.0.0/8", "2001:db8::/32", a bare address
// for one host); the failing entry named by its index.
template <class F>
Key networks(std::string name, std::string help, F field) {
    Key k{std::move(name), std::move(help)};
    k.read = [field](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto list = r.strings(v, key);
        std::vector<Network> parsed;
        for (size_t i = 0; i < list.size(); ++i) {
            try {
                parsed.push_back(parse_network(list[i]));
            } catch (const ConfigError& e) {
                r.fail(key + "[" + std::to_string(i) + "]", e.what());
            }
        }
        field(c) = std::move(parsed);
    };
    k.write = [field](const Config& c) {
        std::vector<std::string> texts;
        for (const auto& n : field(c)) texts.push_back(n.text);
        return toml_strings(texts);
    };
    return k;
}

// A list of strings, each one checked as it is read.
template <class F>
Key strings(std::string name, std::string help, F field, Check each = {}) {
    return simple(std::move(name), std::move(help), field,
                  [each](const Reader& r, const toml::node& v, const std::string& key) {
                      auto list = r.strings(v, key);
                      if (each)
                          for (size_t i = 0; i < list.size(); ++i) each(r, key + "[" + std::to_string(i) + "]", list[i]);
                      return list;
                  }, toml_strings);
}

// A table of lower-cased name -> string: `valid` says whether a name may
// be a key (`bad_name` is the message when not), `value` reads (and
// checks) one entry.
using EntryReader = std::function<std::string(const Reader&, const toml::node&, const std::string& key)>;
template <class F>
Key string_table(std::string name, std::string help, F field, bool (*valid)(std::string_view), std::string bad_name,
                 EntryReader value) {
    Key k{std::move(name), std::move(help)};
    k.is_table = true;
    k.read = [field, valid, bad_name, value](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto& entries = field(c);
        entries.clear();
        for (auto&& [name_key, entry] : r.table(v, key)) {
            std::string entry_name(name_key.str());
            std::string item_key = key + "." + quote(entry_name);
            if (!valid(entry_name)) r.fail(item_key, bad_name);
            std::string text = value(r, entry, item_key);
            entries.emplace_back(util::ascii_lower(entry_name), std::move(text));
        }
    };
    k.write = [field](const Config& c) {
        std::string lines;
        for (const auto& [domain, text] : field(c)) lines += toml_string(domain) + " = " + toml_string(text) + "\n";
        return lines;
    };
    return k;
}

// A string_table keyed by domain names.
template <class F>
Key domain_table(std::string name, std::string help, F field, std::string bad_domain, EntryReader value) {
    return string_table(std::move(name), std::move(help), field, valid_domain_chars, std::move(bad_domain), value);
}

// A string_table keyed by submission logins (any non-empty name).
template <class F>
Key login_table(std::string name, std::string help, F field, EntryReader value) {
    return string_table(std::move(name), std::move(help), field, [](std::string_view s) { return !s.empty(); },
                        "expected a login as the key", value);
}

// Names of [TABLE.NAME] tables (egress sources and pools, event
// webhooks): they appear in logs (source=NAME), in the delivery engine's
// keys ("domain|NAME", "NAME/site"), in X-Ringpost-Pool and in event
// cursors; letters, digits, '-', '_' and '.'.
inline bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
               ch == '_' || ch == '.';
    });
}

inline std::string item_key(const Reader& r, const std::string& key, const std::string& name) {
    std::string k = key + "." + quote(name);
    if (!valid_name(name)) r.fail(k, "expected a name of letters, digits, '-', '_' and '.'");
    return k;
}

// A table of NAME = { ... } entries read by `read_one` into `field`.
template <class F, class ReadOne, class WriteOne>
Key named_tables(std::string name, std::string help, F field, ReadOne read_one, WriteOne write_one) {
    Key k{std::move(name), std::move(help)};
    k.is_table = true;
    k.read = [field, read_one](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto& items = field(c);
        items.clear();
        for (auto&& [name_key, entry] : r.table(v, key)) {
            const std::string n(name_key.str());
            items.push_back(read_one(r, n, entry, item_key(r, key, n)));
        }
    };
    k.write = [field, write_one](const Config& c) {
        std::string lines;
        for (const auto& item : field(c)) lines += toml_string(item.name) + " = " + write_one(item) + "\n";
        return lines;
    };
    return k;
}

}  // namespace ringpost::config::kinds
