// commands/bundle_progress.h: transfer progress for upload and checkout. On a terminal, one line redrawn in
// place (bar, percent, bytes, rate); otherwise (logs, CI, pipes) a plain line at each quarter, so output stays
// readable when it is not a terminal.
#ifndef EDGE_CLI_COMMANDS_BUNDLE_PROGRESS_H_
#define EDGE_CLI_COMMANDS_BUNDLE_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/time/time.h"

namespace edge::cli {

// "812 B", "48.2 KiB", "50.0 MiB".
std::string HumanBytes(uint64_t bytes);

class TransferProgress {
 public:
  // `verb` ("Uploading"), `what` (a file name), `total` bytes (0: unknown). Draws on `out` (stderr); `tty`
  // chooses the redrawn bar (usually isatty(fileno(out))).
  TransferProgress(std::string verb, std::string what, uint64_t total, bool tty, FILE* out = stderr);
  // Called as bytes move; cheap when nothing needs drawing.
  void Update(uint64_t done);
  // Ends the line (the bar's final state, or the last plain line when it was not printed yet).
  void Finish(bool ok);

 private:
  void DrawBar(uint64_t done, bool final);
  std::string Rate(uint64_t done) const;

  std::string verb_, what_;
  uint64_t total_;
  bool tty_;
  FILE* out_;
  absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  uint64_t done_ = 0;
  int next_quarter_ = 1;  // plain mode: the next 25% step to print (1..4; 5 when done)
  bool drawn_ = false;
};

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_BUNDLE_PROGRESS_H_
