// The file sink ([events] file): JSON lines appended and synced (through
// the blocking pool: file writes block), before its cursor moves. The file
// is opened per batch, so that renaming it rotates it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "events/sink.hpp"
#include "io/socket.hpp"

namespace ringpost::events {
namespace {

constexpr size_t kFileBatch = 1000;

class FileSink final : public Sink {
public:
    FileSink(std::string path, io::BlockingPool& pool)
        : path_(std::move(path)), pool_(pool), backoff_(std::chrono::seconds(1), std::chrono::minutes(1)) {}

    const std::string& name() const override { return name_; }
    size_t batch_size() const override { return kFileBatch; }
    std::chrono::milliseconds max_batch_delay() const override { return std::chrono::milliseconds(0); }
    Backoff& backoff() override { return backoff_; }

    io::Task<Result<void>> deliver(const std::vector<store::LoggedEvent>& events, io::CancelSlot*) override {
        const std::string body = json_lines(events);
        auto append = [this, &body] { return write_synced(body); };
        co_return co_await pool_.run(append);
    }

private:
    // Pool thread.
    Result<void> write_synced(const std::string& body) {
        io::Fd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
        if (!fd) return make_error("opening " + path_ + ": " + std::strerror(errno), errno);
        // A failed write is cut back off, so a retry never follows half a line.
        const off_t start = ::lseek(fd.get(), 0, SEEK_END);
        size_t done = 0;
        while (done < body.size()) {
            const ssize_t n = ::write(fd.get(), body.data() + done, body.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int e = errno;
                if (start >= 0 && ::ftruncate(fd.get(), start) != 0) {
                    // Nothing more to do: the retry appends after the partial line.
                }
                return make_error("writing " + path_ + ": " + std::strerror(e), e);
            }
            done += static_cast<size_t>(n);
        }
        if (::fdatasync(fd.get()) != 0) {
            const int e = errno;
            return make_error("syncing " + path_ + ": " + std::strerror(e), e);
        }
        return {};
    }

    std::string path_;
    std::string name_ = "file";
    io::BlockingPool& pool_;
    Backoff backoff_;
};

}  // namespace

std::unique_ptr<Sink> make_file_sink(const std::string& path, io::BlockingPool& pool) {
    return std::make_unique<FileSink>(path, pool);
}

}  // namespace ringpost::events
