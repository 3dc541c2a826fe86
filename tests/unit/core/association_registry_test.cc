#include "server/core/association_registry.h"

#include <gtest/gtest.h>

#include "server/core/errors.h"

namespace sctpgw::core {
namespace {

constexpr size_t kQueue = 1000;

Endpoint NewEndpoint(const std::string& session, net::SocketId socket) {
  Endpoint endpoint;
  endpoint.session = session;
  endpoint.socket = socket;
  return endpoint;
}

TEST(AssociationRegistryTest, EndpointsAreFoundByIdAndSocketAndOnlyByTheirSession) {
  AssociationRegistry registry;
  uint64_t first = registry.AddEndpoint(NewEndpoint("s1", 100)).info.id;
  uint64_t second = registry.AddEndpoint(NewEndpoint("s2", 101)).info.id;
  EXPECT_NE(first, second);
  EXPECT_EQ(registry.EndpointOnSocket(100)->info.id, first);
  EXPECT_TRUE(registry.OwnedEndpoint("s1", first).ok());
  auto other = registry.OwnedEndpoint("s2", first);
  EXPECT_EQ(ErrorReason(other.status()), "ENDPOINT_NOT_FOUND");
  EXPECT_EQ(ErrorMetadataOf(other.status())["endpoint_id"], std::to_string(first));
  registry.FindEndpoint(first)->closing = true;  // Its session ended.
  EXPECT_FALSE(registry.OwnedEndpoint("s1", first).ok());
  EXPECT_EQ(registry.EndpointsOf("s1"), std::vector<uint64_t>{first});

  registry.RemoveEndpoint(first);
  EXPECT_EQ(registry.FindEndpoint(first), nullptr);
  EXPECT_EQ(registry.EndpointOnSocket(100), nullptr);
  EXPECT_TRUE(registry.EndpointsOf("s1").empty());
  // Ids are never reused.
  EXPECT_GT(registry.AddEndpoint(NewEndpoint("s1", 100)).info.id, second);
}

TEST(AssociationRegistryTest, AnAssociationIsKnownByKernelIdUntilPeeledOff) {
  AssociationRegistry registry;
  Endpoint& endpoint = registry.AddEndpoint(NewEndpoint("s1", 100));
  Association& association = registry.AddAssociation(endpoint, 7, /*incoming=*/true, kQueue);
  uint64_t id = association.id();
  EXPECT_EQ(association.endpoint_id(), endpoint.info.id);
  EXPECT_TRUE(association.info().incoming);
  EXPECT_EQ(registry.Unattached(endpoint, 7), &association);
  EXPECT_EQ(registry.AssociationCountOf("s1"), 1u);
  EXPECT_EQ(endpoint.Snapshot().association_count, 1u);

  registry.Attach(association, 200);
  EXPECT_EQ(registry.Unattached(endpoint, 7), nullptr);
  EXPECT_EQ(registry.AssociationOnSocket(200), &association);

  // Detached: what the socket still reports belongs to the association.
  EXPECT_EQ(registry.Detach(association), 200u);
  EXPECT_EQ(association.socket(), 0u);
  EXPECT_EQ(registry.AssociationOnSocket(200), nullptr);
  auto draining = registry.Draining(200);
  ASSERT_TRUE(draining.has_value());
  EXPECT_EQ(draining->first, endpoint.info.id);
  EXPECT_EQ(draining->second, id);
  registry.Drained(200);
  EXPECT_FALSE(registry.Draining(200).has_value());
  EXPECT_EQ(registry.Detach(association), 0u);  // Nothing left to detach.
}

TEST(AssociationRegistryTest, EndedAssociationsAreClosedForTheirSessionAndUnknownToOthers) {
  AssociationRegistry registry;
  Endpoint& endpoint = registry.AddEndpoint(NewEndpoint("s1", 100));
  uint64_t id = registry.AddAssociation(endpoint, 7, false, kQueue).id();
  EXPECT_EQ(ErrorReason(registry.OwnedAssociation("s2", id).status()), "ASSOCIATION_NOT_FOUND");
  EXPECT_TRUE(registry.OwnedAssociation("s1", id).ok());

  registry.RemoveAssociation(id);
  EXPECT_EQ(registry.FindAssociation(id), nullptr);
  EXPECT_TRUE(endpoint.associations.empty());
  EXPECT_TRUE(endpoint.by_kernel_id.empty());
  EXPECT_EQ(registry.AssociationCountOf("s1"), 0u);
  EXPECT_EQ(ErrorReason(registry.OwnedAssociation("s1", id).status()), "ASSOCIATION_CLOSED");
  EXPECT_EQ(ErrorReason(registry.OwnedAssociation("s2", id).status()), "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(ErrorReason(registry.NotFound("s1", id + 1)), "ASSOCIATION_NOT_FOUND");
}

TEST(AssociationRegistryTest, RecentlyEndedAssociationsAreRememberedWithinABound) {
  AssociationRegistry registry;
  Endpoint& endpoint = registry.AddEndpoint(NewEndpoint("s1", 100));
  uint64_t first = 0;
  for (size_t i = 0; i <= AssociationRegistry::kEndedRemembered; ++i) {
    uint64_t id = registry.AddAssociation(endpoint, static_cast<net::AssocId>(i), false, kQueue).id();
    if (first == 0) first = id;
    registry.RemoveAssociation(id);
  }
  EXPECT_EQ(ErrorReason(registry.NotFound("s1", first)), "ASSOCIATION_NOT_FOUND");
  EXPECT_EQ(ErrorReason(registry.NotFound("s1", first + 1)), "ASSOCIATION_CLOSED");
}

TEST(AssociationRegistryTest, ListsAndCountsArePerSessionAndEndpoint) {
  AssociationRegistry registry;
  Endpoint& a = registry.AddEndpoint(NewEndpoint("s1", 100));
  Endpoint& b = registry.AddEndpoint(NewEndpoint("s1", 101));
  Endpoint& c = registry.AddEndpoint(NewEndpoint("s2", 102));
  registry.AddAssociation(a, 1, false, kQueue);
  registry.AddAssociation(b, 1, false, kQueue);
  registry.AddAssociation(b, 2, false, kQueue);
  registry.AddAssociation(c, 1, false, kQueue);
  EXPECT_EQ(registry.AssociationsOf("s1", 0).size(), 3u);
  EXPECT_EQ(registry.AssociationsOf("s1", b.info.id).size(), 2u);
  EXPECT_TRUE(registry.AssociationsOf("s2", a.info.id).empty());
  EXPECT_EQ(registry.AssociationCountOf("s1"), 3u);
  EXPECT_EQ(registry.AssociationCountOf("s2"), 1u);
  EXPECT_EQ(registry.association_count(), 4u);
  EXPECT_EQ(registry.EndpointIds().size(), 3u);
}

}  // namespace
}  // namespace sctpgw::core
