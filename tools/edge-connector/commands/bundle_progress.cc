// TransferProgress: a redrawn bar on a terminal, quarter lines elsewhere.
#include "commands/bundle_progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace edge::cli {

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  if (bytes < 1024 * 1024) return absl::StrFormat("%.1f KiB", static_cast<double>(bytes) / 1024);
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
}

TransferProgress::TransferProgress(std::string verb, std::string what, uint64_t total, bool tty, FILE* out)
    : verb_(std::move(verb)), what_(std::move(what)), total_(total), tty_(tty), out_(out), start_(absl::Now()) {}

std::string TransferProgress::Rate(uint64_t done) const {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  if (seconds <= 0.0) return "-";
  return HumanBytes(static_cast<uint64_t>(static_cast<double>(done) / seconds)) + "/s";
}

void TransferProgress::DrawBar(uint64_t done, bool final) {
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::string sizes = total_ > 0 ? absl::StrCat(HumanBytes(done), " / ", HumanBytes(total_)) : HumanBytes(done);
  // \r returns to the start of the line, ESC[K clears what a longer previous line left behind.
  std::fprintf(out_, "\r%s %s [%s] %3d%%  %s  %s\033[K%s", verb_.c_str(), what_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), sizes.c_str(), Rate(done).c_str(), final ? "\n" : "");
  std::fflush(out_);
  drawn_ = true;
}

void TransferProgress::Update(uint64_t done) {
  done_ = std::max(done_, done);
  if (tty_) {
    const absl::Time now = absl::Now();
    if (now - last_draw_ < absl::Milliseconds(100)) return;  // ~10 redraws a second is plenty
    last_draw_ = now;
    DrawBar(done_, false);
    return;
  }
  if (total_ == 0) return;
  // One line for the highest quarter reached: a fast transfer may cross several between two callbacks.
  const int quarter = static_cast<int>(std::min<uint64_t>(4, done_ * 4 / total_));
  if (quarter < next_quarter_) return;
  std::fprintf(out_, "%s %s: %d%% (%s of %s)%s\n", verb_.c_str(), what_.c_str(), quarter * 25,
               HumanBytes(done_).c_str(), HumanBytes(total_).c_str(),
               quarter == 4 ? absl::StrCat(", ", Rate(done_)).c_str() : "");
  std::fflush(out_);
  next_quarter_ = quarter + 1;
}

void TransferProgress::Finish(bool ok) {
  if (tty_) {
    if (ok || drawn_) DrawBar(done_, true);
    return;
  }
  if (ok && total_ == 0) {
    std::fprintf(out_, "%s %s: %s, %s\n", verb_.c_str(), what_.c_str(), HumanBytes(done_).c_str(),
                 Rate(done_).c_str());
  } else if (ok && next_quarter_ <= 4) {
    Update(total_);  // the transfer ended before the last callback reported it
  }
  std::fflush(out_);
}

}  // namespace edge::cli
