// The cloud_connectors table (store/cloud_store.cc): records, the one-per-deployment rule, and the secrets.
#include <gtest/gtest.h>

#include "edge/protocol/auth.h"
#include "store/store.h"
#include "store_fixture.h"

namespace edge::platform::store {
namespace {

class CloudStoreTest : public testing::StoreFixture {
 protected:
  CloudStoreTest() : StoreFixture("cloud-store") {}

  CloudConnector Record(const std::string& id) {
    CloudConnector c;
    c.id = id;
    c.deployment_id = deployment_;
    c.org_id = "org_acme";
    c.state = "Provisioning";
    c.state_since_ms = 1000;
    c.created_at_ms = 1000;
    return c;
  }
};

TEST_F(CloudStoreTest, SecretsNameTheirConnector) {
  const std::string token = protocol::RandomToken(32);
  ASSERT_EQ(token.size(), 43u);
  EXPECT_EQ(CloudConnectorIdOfSecret("ccs_cc_7Hq2xK_" + token), "cc_7Hq2xK");
  EXPECT_EQ(CloudConnectorIdOfSecret("ccs_cc_a_b-c_" + token), "cc_a_b-c");  // ids may hold '_' and '-'
  EXPECT_EQ(CloudConnectorIdOfSecret("ccs__" + token), std::nullopt);          // no id
  EXPECT_EQ(CloudConnectorIdOfSecret("ccs_cc_x-" + token), std::nullopt);      // no separator
  EXPECT_EQ(CloudConnectorIdOfSecret(token), std::nullopt);
}

TEST_F(CloudStoreTest, RecordsRoundTripAndOneConnectorPerDeployment) {
  ASSERT_TRUE(store_->CreateCloudConnector(Record("cc_one")).ok());
  absl::Status second = store_->CreateCloudConnector(Record("cc_two"));
  EXPECT_TRUE(absl::IsAlreadyExists(second)) << second;

  absl::StatusOr<std::optional<CloudConnector>> found = store_->FindCloudConnector(deployment_);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "cc_one");
  EXPECT_EQ((*found)->pid, std::nullopt);
  EXPECT_EQ((*found)->restart_at_ms, std::nullopt);

  CloudConnector c = **found;
  c.state = "Starting";
  c.state_since_ms = 2000;
  c.failed = true;
  c.last_error = "process exited with status 1";
  c.pid = 4242;
  c.pid_start_time = 123456;
  c.restarts = 3;
  c.restart_at_ms = 3000;
  ASSERT_TRUE(store_->UpdateCloudConnector(c).ok());
  ASSERT_TRUE(store_->RecordCloudHeartbeat("cc_one", 2500).ok());
  absl::StatusOr<std::vector<CloudConnector>> all = store_->ListCloudConnectors();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const CloudConnector& read = (*all)[0];
  EXPECT_EQ(read.state, "Starting");
  EXPECT_TRUE(read.failed);
  EXPECT_EQ(read.last_error, "process exited with status 1");
  EXPECT_EQ(read.pid, 4242);
  EXPECT_EQ(read.pid_start_time, 123456);
  EXPECT_EQ(read.restarts, 3);
  EXPECT_EQ(read.restart_at_ms, 3000);
  EXPECT_EQ(read.last_heartbeat_at_ms, 2500);

  // A deployment with a cloud connector cannot be deleted underneath it.
  EXPECT_FALSE(store_->DeleteDeployment(deployment_).ok());
  ASSERT_TRUE(store_->DeleteCloudConnector("cc_one").ok());
  found = store_->FindCloudConnector(deployment_);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  EXPECT_TRUE(absl::IsNotFound(store_->UpdateCloudConnector(c)));
  EXPECT_TRUE(store_->DeleteDeployment(deployment_).ok());
}

TEST_F(CloudStoreTest, VerifiesOnlyTheConnectorsOwnSecretForItsDeployment) {
  CloudConnector c = Record("cc_one");
  ASSERT_TRUE(store_->CreateCloudConnector(c).ok());
  const std::string secret = "ccs_cc_one_" + protocol::RandomToken(32);
  // Before the provision step stored a hash, nothing authenticates.
  absl::StatusOr<std::optional<std::string>> v = store_->VerifyCloudConnectorSecret(deployment_, secret);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  c.secret_hash = protocol::HashSecret(secret);
  ASSERT_TRUE(store_->UpdateCloudConnector(c).ok());
  v = store_->VerifyCloudConnectorSecret(deployment_, secret);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::optional<std::string>("cc_one"));
  // Wrong random part, another deployment, another connector id: refused.
  EXPECT_FALSE(store_->VerifyCloudConnectorSecret(deployment_, "ccs_cc_one_" + protocol::RandomToken(32))->has_value());
  EXPECT_FALSE(store_->VerifyCloudConnectorSecret("dep_other", secret)->has_value());
  const std::string other_id = "ccs_cc_two_" + secret.substr(secret.size() - 43);
  EXPECT_FALSE(store_->VerifyCloudConnectorSecret(deployment_, other_id)->has_value());
}

}  // namespace
}  // namespace edge::platform::store
