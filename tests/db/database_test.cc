// Conninfo masking (db/database.h) by libpq's own parser: every spelling
// libpq accepts hides the password; the public name keeps the dbname only.
#include "db/database.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pcs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MaskConninfoTest, EverySpellingOfThePasswordIsMasked) {
  for (const std::string conninfo :
       {"host=db user=pcs password=hunter2 dbname=pcs",
        "host=db password = hunter2 dbname=pcs",
        "host=db password='hunter2 with spaces' dbname=pcs", "password=hunter2",
        "postgresql://pcs:hunter2@db:5432/pcs",
        "postgresql://pcs@db/pcs?password=hunter2",
        "host=db sslpassword=hunter2"}) {
    const std::string masked = MaskConninfo(conninfo);
    EXPECT_THAT(masked, Not(HasSubstr("hunter2"))) << conninfo;
    EXPECT_THAT(masked, HasSubstr("password=***")) << conninfo;
  }
}

TEST(MaskConninfoTest, OtherOptionsAreKeptAndBadInputIsNotEchoed) {
  const std::string plain = MaskConninfo("host=db port=5432 dbname=pcs");
  for (const char* kept : {"host=db", "port=5432", "dbname=pcs"}) {
    EXPECT_THAT(plain, HasSubstr(kept));
  }
  EXPECT_EQ(MaskConninfo("host=db password='unterminated hunter2"),
            "<conninfo libpq cannot parse>");
}

TEST(PublicDatabaseNameTest, OnlyTheDatabaseName) {
  EXPECT_EQ(PublicDatabaseName(
                "host=/tmp/pcs_pg_123/socket port=54321 user=ci dbname=pcs"),
            "postgresql database 'pcs'");
  EXPECT_EQ(PublicDatabaseName("postgresql://ci:secret@db.internal:5432/pcs"),
            "postgresql database 'pcs'");
  EXPECT_EQ(PublicDatabaseName("host=db user=ci"), "postgresql");
  EXPECT_EQ(PublicDatabaseName("not a conninfo"), "postgresql");
}

}  // namespace
}  // namespace pcs
