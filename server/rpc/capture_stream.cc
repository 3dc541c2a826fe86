#include "server/rpc/capture_stream.h"

#include <chrono>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "server/core/errors.h"
#include "server/rpc/convert.h"
#include "server/rpc/limits.h"
#include "server/rpc/status.h"

namespace sctpgw::rpc {
namespace {

using core::Error;
using core::Reason;

void ToCapturedProto(core::CapturedMessage&& message, v1::CapturedMessage* out) {
  *out->mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(message.time.time_since_epoch())
          .count());
  out->set_direction(message.outbound ? v1::CAPTURE_DIRECTION_OUTBOUND
                                      : v1::CAPTURE_DIRECTION_INBOUND);
  out->set_association_id(message.association_id);
  out->set_endpoint_id(message.endpoint_id);
  if (message.local.has_value()) ToProto(*message.local, out->mutable_local());
  if (message.peer.has_value()) ToProto(*message.peer, out->mutable_peer());
  out->set_stream(message.stream);
  out->set_ssn(message.ssn);
  out->set_tsn(message.tsn);
  out->set_ppid(message.ppid);
  out->set_unordered(message.unordered);
  out->set_length(static_cast<uint32_t>(message.length));
  out->set_payload(std::move(message.payload));
  out->set_offset(message.offset);
  out->set_more_follows(message.more_follows);
}

class CaptureStream final : public grpc::ServerWriteReactor<v1::CaptureResponse> {
 public:
  CaptureStream(core::Gateway& gateway, const v1::CaptureRequest& request, std::string session,
                CallCount& calls)
      : hold_(calls), gateway_(gateway), tap_(gateway.captures()) {
    absl::Status checked = Check(request);
    if (!checked.ok()) {
      finished_ = true;
      Finish(ToGrpcStatus(checked));
      return;
    }
    core::CaptureScope scope;
    scope.association_id = request.association_id();
    scope.endpoint_id = request.endpoint_id();
    size_t capacity = request.buffer_messages() == 0 ? kDefaultCaptureBufferMessages
                                                     : request.buffer_messages();
    // The capture opens on the core's thread; until it has, OnCancel only
    // records the cancellation, so that this reactor outlives the task.
    gateway_.Post([this, session = std::move(session), scope, capacity,
                   snap = request.snap_bytes()] {
      Start(gateway_.OpenCapture(session, scope, snap, capacity, [this] { Wake(); }));
    });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; OnCancel or OnDone follows.
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "capture write failed"));
      return;
    }
    NextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (started_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (opened_) tap_.Close(id_);
    delete this;
  }

 private:
  static absl::Status Check(const v1::CaptureRequest& request) {
    if (request.snap_bytes() > kMaxCaptureSnapBytes) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("snap_bytes ", request.snap_bytes(), " is above ",
                                kMaxCaptureSnapBytes),
                   {{"field", "snap_bytes"}});
    }
    if (request.buffer_messages() > kMaxCaptureBufferMessages) {
      return Error(Reason::kInvalidArgument,
                   absl::StrCat("buffer_messages ", request.buffer_messages(), " is above ",
                                kMaxCaptureBufferMessages),
                   {{"field", "buffer_messages"}});
    }
    return absl::OkStatus();
  }

  // On the core's thread.
  void Start(absl::StatusOr<core::CaptureTap::CaptureId> id) {
    if (id.ok()) {
      id_ = *id;
      opened_ = true;
    }
    absl::MutexLock lock(&mu_);
    started_ = true;
    if (!id.ok() || cancelled_) {
      FinishLocked(cancelled_ ? grpc::Status::CANCELLED : ToGrpcStatus(id.status()));
      return;
    }
    response_.Clear();  // Empty: the capture is in force.
    writing_ = true;
    StartWrite(&response_);
  }

  void Wake() {
    absl::MutexLock lock(&mu_);
    if (started_) NextLocked();
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_) return;
    core::CaptureTap::Batch batch =
        tap_.Take(id_, kCapturedPerResponse, kMaxCaptureResponseBytes);
    if (batch.messages.empty() && batch.dropped == 0) {
      if (batch.ended) {
        FinishLocked(ToGrpcStatus(Error(Reason::kSessionNotFound, "the session has ended")));
      }
      return;
    }
    response_.Clear();
    response_.set_dropped_messages(batch.dropped);
    for (core::CapturedMessage& message : batch.messages) {
      ToCapturedProto(std::move(message), response_.add_messages());
    }
    writing_ = true;
    StartWrite(&response_);
  }

  CallCount::Hold hold_;
  core::Gateway& gateway_;
  core::CaptureTap& tap_;
  // Written on the core's thread before the stream starts, read in OnDone.
  core::CaptureTap::CaptureId id_ = 0;
  bool opened_ = false;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  v1::CaptureResponse response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<v1::CaptureResponse>* NewCaptureStream(core::Gateway& gateway,
                                                               const v1::CaptureRequest& request,
                                                               std::string session,
                                                               CallCount& calls) {
  return new CaptureStream(gateway, request, std::move(session), calls);
}

}  // namespace sctpgw::rpc
