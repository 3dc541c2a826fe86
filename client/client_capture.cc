// Client's captures: the Capture stream of copies of the messages passing
// over a session's associations.
#include "sctpgw/client.h"

namespace sctpgw::client {

std::unique_ptr<CaptureStream> Client::OpenCapture(uint64_t association_id, uint64_t endpoint_id,
                                                   uint32_t snap_bytes, uint32_t buffer_messages,
                                                   std::optional<Milliseconds> timeout) {
  std::unique_ptr<CaptureStream> stream(new CaptureStream());
  if (timeout.has_value()) Prepare(&stream->context_, timeout);
  v1::CaptureRequest request;
  request.set_session_id(session_id_);
  if (association_id != 0) {
    request.set_association_id(association_id);
  } else if (endpoint_id != 0) {
    request.set_endpoint_id(endpoint_id);
  }
  request.set_snap_bytes(snap_bytes);
  request.set_buffer_messages(buffer_messages);
  stream->stream_ = stub_->Capture(&stream->context_, request);
  return stream;
}

CaptureStream::~CaptureStream() {
  if (!ended_) {
    context_.TryCancel();
    (void)stream_->Finish();
  }
}

absl::Status CaptureStream::End() {
  if (!ended_) {
    ended_ = true;
    end_ = FromGrpc(stream_->Finish());
    if (end_.ok()) end_ = absl::OutOfRangeError("the capture has ended");
  }
  return end_;
}

absl::Status CaptureStream::Started() {
  if (started_) return absl::OkStatus();
  v1::CaptureResponse first;
  if (ended_ || !stream_->Read(&first)) return End();
  started_ = true;
  return absl::OkStatus();
}

absl::StatusOr<v1::CaptureResponse> CaptureStream::Read() {
  if (absl::Status started = Started(); !started.ok()) return started;
  v1::CaptureResponse response;
  if (!ended_ && stream_->Read(&response)) return response;
  return End();
}

}  // namespace sctpgw::client
