// Client's message calls: Send and SendBatch, the SendStream and
// ReceiveStream, and Receive from an association or an endpoint.
#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/client_errors.h"
#include "sctpgw/client.h"

namespace sctpgw::client {

absl::Status Client::Send(uint64_t association_id, std::string payload,
                          const SendOptions& options, std::optional<Milliseconds> timeout) {
  return SendBatch(association_id, {MakeMessage(std::move(payload), options)}, timeout).status();
}

absl::StatusOr<size_t> Client::SendBatch(uint64_t association_id,
                                         const std::vector<v1::OutboundMessage>& messages,
                                         std::optional<Milliseconds> timeout) {
  // After HANDED_OVER, what the old process did not hand to the kernel goes
  // again, to the new one: every message once, in order.
  size_t accepted = 0;
  absl::Status status = CallWith(timeout, [&](grpc::ClientContext& context) {
    v1::SendRequest request;
    request.set_session_id(session_id_);
    request.set_association_id(association_id);
    for (size_t i = accepted; i < messages.size(); ++i) *request.add_messages() = messages[i];
    v1::SendResponse response;
    absl::Status sent = FromGrpc(stub_->Send(&context, request, &response));
    if (sent.ok()) {
      accepted += response.accepted_messages();
    } else {  // HANDED_OVER, DEADLINE_EXCEEDED: what went before the end.
      auto metadata = ErrorMetadata(sent);
      auto taken = metadata.find("accepted_messages");
      uint64_t count = 0;
      if (taken != metadata.end() && absl::SimpleAtoi(taken->second, &count)) {
        accepted += std::min<size_t>(count, messages.size() - accepted);
      }
    }
    return sent;
  });
  if (!status.ok()) {
    // What the caller may not send again: every attempt's accepted count,
    // not the last one's alone.
    if (accepted > 0 || ErrorMetadata(status).count("accepted_messages") != 0) {
      SetErrorMetadata(status, "accepted_messages", absl::StrCat(accepted));
    }
    return status;
  }
  return accepted;
}

std::unique_ptr<SendStream> Client::OpenSendStream(std::optional<Milliseconds> timeout) {
  std::unique_ptr<SendStream> stream(new SendStream());
  stream->session_id_ = session_id_;
  if (timeout.has_value()) Prepare(&stream->context_, timeout);
  stream->stream_ = stub_->SendStream(&stream->context_);
  return stream;
}

SendStream::~SendStream() {
  if (!finished_) context_.TryCancel();
  if (!finished_) (void)stream_->Finish();
}

bool SendStream::Write(uint64_t association_id, std::vector<v1::OutboundMessage> messages) {
  request_.Clear();
  request_.set_session_id(session_id_);
  request_.set_association_id(association_id);
  for (v1::OutboundMessage& message : messages) *request_.add_messages() = std::move(message);
  return stream_->Write(request_);
}

absl::StatusOr<v1::SendStreamResponse> SendStream::Finish() {
  finished_ = true;
  stream_->WritesDone();
  v1::SendStreamResponse totals;
  v1::SendStreamResponse ack;
  while (stream_->Read(&ack)) totals = ack;
  absl::Status status = FromGrpc(stream_->Finish());
  if (!status.ok()) return status;
  return totals;
}

std::unique_ptr<ReceiveStream> Client::OpenReceiveStream(uint64_t association_id,
                                                         uint64_t endpoint_id,
                                                         uint32_t max_messages,
                                                         std::optional<Milliseconds> timeout,
                                                         bool wait_for_ready) {
  std::unique_ptr<ReceiveStream> stream(new ReceiveStream());
  if (timeout.has_value()) Prepare(&stream->context_, timeout);
  stream->context_.set_wait_for_ready(wait_for_ready);
  v1::ReceiveRequest request;
  request.set_session_id(session_id_);
  if (association_id != 0) {
    request.set_association_id(association_id);
  } else {
    request.set_endpoint_id(endpoint_id);
  }
  request.set_max_messages(max_messages);
  stream->stream_ = stub_->ReceiveStream(&stream->context_, request);
  return stream;
}

ReceiveStream::~ReceiveStream() {
  if (!ended_) {
    context_.TryCancel();
    (void)stream_->Finish();
  }
}

absl::StatusOr<std::vector<v1::InboundMessage>> ReceiveStream::Read() {
  if (!ended_ && stream_->Read(&response_)) {
    std::vector<v1::InboundMessage> messages;
    messages.reserve(response_.messages_size());
    for (v1::InboundMessage& message : *response_.mutable_messages()) {
      messages.push_back(std::move(message));
    }
    return messages;
  }
  if (!ended_) {
    ended_ = true;
    end_ = FromGrpc(stream_->Finish());
    if (end_.ok()) end_ = absl::OutOfRangeError("the association has ended");
  }
  return end_;
}

absl::StatusOr<std::vector<v1::InboundMessage>> Client::Receive(uint64_t association_id,
                                                                Milliseconds timeout,
                                                                uint32_t max_messages) {
  v1::ReceiveRequest request;
  request.set_association_id(association_id);
  request.set_max_messages(max_messages);
  return ReceiveWith(std::move(request), timeout);
}

absl::StatusOr<std::vector<v1::InboundMessage>> Client::ReceiveFromEndpoint(
    uint64_t endpoint_id, Milliseconds timeout, uint32_t max_messages) {
  v1::ReceiveRequest request;
  request.set_endpoint_id(endpoint_id);
  request.set_max_messages(max_messages);
  return ReceiveWith(std::move(request), timeout);
}

absl::StatusOr<std::vector<v1::InboundMessage>> Client::ReceiveWith(v1::ReceiveRequest request,
                                                                    Milliseconds timeout) {
  request.set_session_id(session_id_);
  v1::ReceiveResponse response;
  absl::Status status = CallWith(timeout, [&](grpc::ClientContext& context) {
    return FromGrpc(stub_->Receive(&context, request, &response));
  });
  // Nothing arrived in time is an empty result, not an error.
  if (!status.ok() && status.code() != absl::StatusCode::kDeadlineExceeded) return status;
  return std::vector<v1::InboundMessage>(response.messages().begin(), response.messages().end());
}

}  // namespace sctpgw::client
