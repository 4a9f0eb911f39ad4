// What local delivery adds to or reads from a message: the per-user prefix
// (Return-Path, Delivered-To), the Subject shown in mailbox listings and the
// stored MIME summary (message_summary.cpp, the only user of src/mail's MIME
// parser here).
#pragma once

#include <string>
#include <string_view>

namespace ringpost::store {

inline constexpr size_t kMaxSubjectBytes = 200;

// "Return-Path: <sender>\r\nDelivered-To: user\r\n"; an empty sender is the
// null reverse-path and gives "Return-Path: <>".
std::string delivery_prefix(std::string_view sender, std::string_view user);

// The raw value of the first Subject header field of the header section
// (case-insensitive name, folded lines unfolded, surrounding whitespace
// trimmed), truncated to kMaxSubjectBytes without splitting a UTF-8
// sequence. Empty if there is none. The body after the blank line is never
// looked at.
std::string extract_subject(std::string_view message);

// MessageRecord::summary of the message prefix + body:
// mail::encode_summary(mail::summarize_message(prefix + body)).
std::string message_summary(std::string_view prefix, std::string_view body);

}  // namespace ringpost::store
