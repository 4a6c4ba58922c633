// store_fixture.h: a fresh edge-platform store for the store tests: a temp dir holding platform.db, with
// org "org_acme" and one deployment ("site", its id in deployment_).
#ifndef EDGE_TESTS_UNIT_PLATFORM_STORE_STORE_FIXTURE_H_
#define EDGE_TESTS_UNIT_PLATFORM_STORE_STORE_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "store/store.h"

namespace edge::platform::store::testing {

class StoreFixture : public ::testing::Test {
 protected:
  // The temp dir is named edge-<name>-XXXXXX.
  explicit StoreFixture(std::string name) : name_(std::move(name)) {}

  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("edge-" + name_ + "-XXXXXX")).string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(dir_ + "/platform.db");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    ASSERT_TRUE(store_->CreateOrg("Acme", "org_acme").ok());
    absl::StatusOr<DeploymentSecret> d = store_->CreateDeployment("org_acme", "site");
    ASSERT_TRUE(d.ok());
    deployment_ = d->deployment.id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string name_, dir_, deployment_;
  std::unique_ptr<Store> store_;
};

}  // namespace edge::platform::store::testing

#endif  // EDGE_TESTS_UNIT_PLATFORM_STORE_STORE_FIXTURE_H_
