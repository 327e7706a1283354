#ifndef PCS_DB_COPY_WRITER_H_
#define PCS_DB_COPY_WRITER_H_

#include <array>
#include <string>
#include <string_view>
#include <tuple>

#include "pqxx/pqxx"

namespace pcs {

// Rows of N text fields streamed into `table` with COPY ... FROM STDIN
// (pqxx::stream_to), inside the caller's transaction. The field strings are
// reused between rows to avoid allocations; stream_to escapes them.
// (libpqxx 6.4's stream_to only takes tuples, hence std::array + std::tie.)
// Throws what libpqxx throws: use it inside RunInTransaction.
//
// Example:
//   CopyWriter<2> out(tx, "t", {"a", "b"});
//   out.row() = {"1", "x"};
//   out.WriteRow();
//   out.Complete();
template <size_t N>
class CopyWriter {
 public:
  CopyWriter(pqxx::transaction_base& tx, const std::string& table,
             const std::array<std::string, N>& columns)
      : stream_(tx, table, columns) {}
  std::array<std::string, N>& row() { return row_; }
  void WriteRow() {
    std::apply([this](auto&... fields) { stream_ << std::tie(fields...); },
               row_);
  }
  void Complete() { stream_.complete(); }

 private:
  pqxx::stream_to stream_;
  std::array<std::string, N> row_;
};

// `text` made safe for a COPY text field: at most `max_chars` bytes, and
// non-printable / non-ASCII bytes replaced by '?', so a garbage line cannot
// break the UTF-8 encoding of the COPY stream.
inline std::string CopyField(std::string_view text, size_t max_chars) {
  if (text.size() > max_chars) text = text.substr(0, max_chars);
  std::string out(text);
  for (char& c : out) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7f) c = '?';
  }
  return out;
}

}  // namespace pcs

#endif  // PCS_DB_COPY_WRITER_H_
