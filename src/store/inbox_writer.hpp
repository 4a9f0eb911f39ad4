// Local delivery inside a commit batch: one message per distinct user
// (Return-Path/Delivered-To prefix, UID from the mailbox meta, counters
// updated, MIME summary stored), used by the
// outcome writer (outcome.cpp) for the recipients the delivery engine hands
// to the local transport. The message goes into the INBOX, or -- when the
// envelope says LocalFolder::kJunk (a DMARC quarantine) -- into the user's
// junk mailbox: the first with the \Junk attribute (RFC 6154), else the
// one named Junk, created with that attribute if missing; that is what
// Sieve's `fileinto :specialuse "\\Junk" :create "Junk"` does (RFC 8579),
// so a user who renamed the folder keeps getting it there.
//
// Split into a read half (plan) and a write half (write) so a request can do
// all its reads, and fail, before it adds anything to the batch. Metas are
// read and written through the batch (WriteTxn), so a delivery sees the
// UIDs an APPEND or COPY earlier in the same batch took; they enter the meta
// cache only after the synced write succeeded. Commit thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store {

class InboxWriter {
public:
    struct Target {
        std::string user;      // lower-cased address = user name
        std::string mailbox;   // "INBOX", or the user's junk mailbox
        std::string meta_key;  // mailboxes CF key of that mailbox
        MailboxMeta meta;      // as of before this request
        bool created = false;  // the mailbox comes into being with this request
    };

    explicit InboxWriter(WriteTxn& txn) : impl_(txn.impl()), txn_(txn) {}

    // Reads only: the mailbox (envelope.local_folder) of each distinct
    // user among envelope.recipients[i] for i in `recipients` (each must
    // be a valid index of a local recipient).
    Result<std::vector<Target>> plan(const mail::Envelope& envelope, std::span<const size_t> recipients);
    // The mailbox each of envelope.recipients[i], i in `recipients`, was
    // filed into, in that order (what plan() chose for its user).
    static std::vector<std::string> mailboxes_of(const std::vector<Target>& targets, const mail::Envelope& envelope,
                                                 std::span<const size_t> recipients);
    // Writes one message per target (with its MIME summary) into the batch;
    // cannot fail. The caller
    // holds users_mu shared (for the 'local_rcpt_without_user' check).
    // Returns the number of messages written (= new body references).
    uint64_t write(std::vector<Target>& targets, const mail::Envelope& envelope, std::string_view body);

private:
    // The meta as of now: written by this batch, cached, stored, or (created
    // = true) a fresh INBOX with a new UIDVALIDITY, which is not cached
    // until a batch that writes it is durable.
    // A new mailbox carries `special_use`.
    Result<MailboxMeta> lookup_meta(const std::string& key, std::string_view special_use, bool& created);
    // The name of the user's junk mailbox (see above), existing or not.
    Result<std::string> junk_mailbox(const std::string& user);
    Result<Target> target(std::string user, mail::LocalFolder folder);

    StoreImpl& impl_;
    WriteTxn& txn_;
};

}  // namespace ringpost::store
