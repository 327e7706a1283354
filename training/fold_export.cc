#include "training/fold_export.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pcs {
namespace {

std::string Cell(double v) {
  if (std::isnan(v)) return "";
  return absl::StrFormat("%.9g", v);
}

}  // namespace

absl::Status ExportFolds(const std::string& dir,
                         const std::vector<std::string>& names,
                         const std::vector<ExportedRow>& rows) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const std::string path = dir + "/folds.csv";
  std::ofstream out(path, std::ios::trunc);
  out << "window,part,id,symbol,pattern_type,confirmation_day,label,rule_"
         "confidence,"
         "analytic_probability,type_base_rate,gbm_probability";
  for (const std::string& n : names) out << "," << n;
  out << "\n";
  for (const ExportedRow& r : rows) {
    const LabeledExample& e = *r.row;
    out << r.window << "," << r.part << "," << e.id << "," << e.symbol << ","
        << e.pattern_type << "," << FormatDay(e.confirmation_day) << ","
        << e.label << "," << Cell(e.rule_confidence) << ","
        << Cell(e.analytic_probability) << "," << Cell(r.type_base_rate) << ","
        << Cell(r.gbm_probability);
    for (float v : e.features) out << "," << Cell(v);
    out << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace pcs
