// `pcs usual-ranges [--ingest-from DIR] [--out FILE]`: the 20th to 80th
// percentile of every feature per pattern type and over all types, computed
// with the one feature builder over the resolved patterns of the database
// (or of DIR, ingested and backfilled into a throwaway cluster first), and
// written as the C++ table features/usual_ranges_table.cc that the reasons
// read (features/usual_ranges.h). Read-only on the database.

#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/command_registry.h"
#include "features/usual_ranges.h"
#include "pipeline/data_preparation.h"
#include "training/labeled_dataset.h"

namespace pcs::cli {
namespace {

class UsualRangesCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--ingest-from", ingest_from_,
                   "Ingest this OHLCV folder and run the backfill first (the "
                   "checked-in table: ../shared/data/ohlcv)");
    app.add_option("--out", out_,
                   "Write the table here (features/usual_ranges_table.cc); "
                   "default: standard output");
  }

  absl::Status Run(const GlobalFlags& flags) override {
    auto db = OpenMigratedDatabase(flags);
    if (!db.ok()) return db.status();
    if (!ingest_from_.empty()) {
      PreparationOptions p;
      p.conninfo = (*db)->conninfo();
      p.folder = ingest_from_;
      absl::StatusOr<PreparationSummary> prep = PrepareDatabase(p);
      if (!prep.ok()) return prep.status();
      std::cerr << prep->ingest_text << prep->backfill_text;
    }
    DatasetLoadOptions load;
    load.conninfo = (*db)->conninfo();
    absl::StatusOr<LabeledDataset> ds = LoadLabeledDataset(load);
    if (!ds.ok()) return ds.status();
    if (ds->examples.empty()) {
      return UsageError(
          "no resolved patterns in the database: give --ingest-from DIR "
          "(e.g. ../shared/data/ohlcv) or a database that `pcs backfill` "
          "has filled");
    }
    std::vector<PatternType> types;
    std::vector<std::vector<float>> rows;
    for (const LabeledExample& e : ds->examples) {
      absl::StatusOr<PatternType> t = ParsePatternType(e.pattern_type);
      if (!t.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "pattern ", e.id, ": pattern_type: ", t.status().message()));
      }
      types.push_back(*t);
      rows.push_back(e.features);
    }
    const std::vector<ComputedUsualRange> ranges =
        ComputeUsualRanges(types, rows);
    const std::string text =
        UsualRangesTableSource(ranges, Provenance(*ds, (*db)->conninfo()));
    std::cerr << absl::StrFormat(
        "usual-ranges: %d patterns (%d feature failures), %d ranges\n",
        ds->examples.size(), ds->feature_failures.size(), ranges.size());
    if (out_.empty()) {
      std::cout << text;
      return absl::OkStatus();
    }
    std::ofstream out(out_);
    out << text;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", out_));
    std::cerr << "usual-ranges: wrote " << out_ << "\n";
    return absl::OkStatus();
  }

 private:
  // The header comment of the table: how to regenerate it and from what.
  std::vector<std::string> Provenance(const LabeledDataset& ds,
                                      const std::string& conninfo) const {
    // The command on two lines (flags on the second) keeps the comment
    // inside 80 columns.
    std::string command = "build/cli/pcs usual-ranges";
    if (!ingest_from_.empty()) {
      absl::StrAppend(&command, " --ingest-from ", ingest_from_);
    }
    std::vector<std::string> lines = {absl::StrCat("  ", command)};
    if (!out_.empty()) lines.push_back(absl::StrCat("      --out ", out_));
    lines.push_back(absl::StrFormat(
        "from the %d resolved patterns of %s", ds.examples.size(),
        ingest_from_.empty() ? PublicDatabaseName(conninfo) : ingest_from_));
    lines.push_back(absl::StrFormat(
        "(%d feature failures), features by the one feature builder; per "
        "type:",
        ds.feature_failures.size()));
    std::vector<std::string> by_type;
    for (const auto& [type, n] : ds.rows_by_type) {
      by_type.push_back(absl::StrCat(type, " ", n));
      if (by_type.size() == 2) {
        lines.push_back(absl::StrCat("  ", absl::StrJoin(by_type, ", ")));
        by_type.clear();
      }
    }
    if (!by_type.empty()) {
      lines.push_back(absl::StrCat("  ", absl::StrJoin(by_type, ", ")));
    }
    return lines;
  }

  std::string ingest_from_;
  std::string out_;
};

PCS_REGISTER_COMMAND(
    UsualRangesCommand, "usual-ranges",
    "Compute the per-pattern-type usual range of every feature (the table "
    "the reasons read)");

}  // namespace
}  // namespace pcs::cli
