// Fuzzes the RPC layer's request validation: arbitrary bytes parsed as each
// request message (the first byte picks which) and handed to the conversion
// that every RPC runs before the core sees the request. Whatever the input,
// the result is either a valid specification within its documented ranges or
// an error whose gRPC status carries a reason; never a crash.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "server/core/errors.h"
#include "server/core/receive_dispatcher.h"
#include "server/rpc/convert.h"
#include "server/rpc/status.h"

namespace {

using namespace sctpgw;

// Errors must carry a reason (the ErrorInfo of the gRPC status) and one of
// the codes validation may return.
void CheckError(const absl::Status& status) {
  if (status.ok()) return;
  if (core::ErrorReason(status).empty()) std::abort();
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:  // Id 0 names nothing.
      break;
    default:
      std::abort();
  }
  grpc::Status mapped = rpc::ToGrpcStatus(status);
  if (mapped.ok() || mapped.error_details().empty()) std::abort();
}

// Accepted addresses are what the request said: as many, with the port, and
// never from text with more in it than the address (inet_pton stops at a
// NUL byte).
void CheckAddresses(const std::vector<net::SocketAddress>& addresses,
                    const google::protobuf::RepeatedPtrField<std::string>& ips, uint32_t port) {
  if (addresses.empty() || addresses.size() > rpc::kMaxAddressesPerRequest) std::abort();
  if (addresses.size() != static_cast<size_t>(ips.size())) std::abort();
  for (const std::string& ip : ips) {
    if (ip.find('\0') != std::string::npos) std::abort();
  }
  for (const auto& address : addresses) {
    if (address.port() != port) std::abort();
    (void)address.ToString();
  }
}

template <typename Message>
bool Parse(const uint8_t* data, size_t size, Message* message) {
  return message->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  const uint8_t which = data[0];
  ++data;
  --size;
  switch (which % 8) {
    case 0: {
      v1::OpenEndpointRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto spec = rpc::ToEndpointSpec(request);
      CheckError(spec.status());
      if (spec.ok()) {
        if (request.port() > std::numeric_limits<uint16_t>::max()) std::abort();
        CheckAddresses(spec->addresses, request.local_addresses(), request.port());
        if (spec->backlog <= 0 || spec->backlog > std::numeric_limits<uint16_t>::max()) {
          std::abort();
        }
      }
      break;
    }
    case 1: {
      v1::AssociateRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto spec = rpc::ToAssociateSpec(request);
      CheckError(spec.status());
      if (spec.ok()) {
        if (request.peer_port() == 0) std::abort();
        CheckAddresses(spec->peers, request.peer_addresses(), request.peer_port());
      }
      break;
    }
    case 2: {
      v1::SendRequest request;
      if (!Parse(data, size, &request)) return 0;
      const int count = request.messages_size();
      auto messages = rpc::ToOutboundMessages(&request);
      CheckError(messages.status());
      if (messages.ok() && static_cast<int>(messages->size()) != count) std::abort();
      break;
    }
    case 3: {
      v1::ReceiveRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto spec = rpc::ToReceiveSpec(request);
      CheckError(spec.status());
      if (!spec.ok()) break;
      // The core checks the target and the budgets once, for every caller.
      auto valid = core::ReceiveDispatcher::Validate(*spec, core::Limits{});
      CheckError(valid.status());
      if (valid.ok() && (valid->association_id == 0) == (valid->endpoint_id == 0)) std::abort();
      break;
    }
    case 4: {
      v1::ConfigurePathsRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto parameters = rpc::ToPathParameters(request.parameters(), "parameters");
      CheckError(parameters.status());
      if (!request.peer_address().empty()) {
        CheckError(rpc::CheckPerPathParameters(request.parameters(), "parameters"));
      }
      if (parameters.ok()) {
        v1::PathParameters back;
        rpc::ToProto(*parameters, &back);
      }
      break;
    }
    case 5: {
      v1::UpdateEndpointAddressesRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto add = rpc::ToAddresses(request.add_addresses(), "add_addresses");
      CheckError(add.status());
      auto remove = rpc::ToAddresses(request.remove_addresses(), "remove_addresses");
      CheckError(remove.status());
      break;
    }
    case 6: {
      v1::ListAssociationsRequest request;
      if (!Parse(data, size, &request)) return 0;
      auto after = rpc::ParsePageToken(request.page_token());
      CheckError(after.status());
      auto page = rpc::PageSize(request.page_size());
      CheckError(page.status());
      if (page.ok() && *page <= 0) std::abort();
      break;
    }
    case 7: {
      // A call's deadline as gRPC hands it over: any instant, negative or
      // centuries away. The core's deadline is never before now (minus the
      // time this takes) nor beyond the 30-day cap.
      int64_t nanoseconds = 0;
      std::memcpy(&nanoseconds, data, std::min(size, sizeof nanoseconds));
      auto before = std::chrono::steady_clock::now();
      core::Deadline deadline = rpc::ToDeadline(std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(nanoseconds))));
      auto after = std::chrono::steady_clock::now();
      if (deadline < before || deadline > after + std::chrono::hours(24 * 30)) std::abort();
      break;
    }
  }
  return 0;
}
