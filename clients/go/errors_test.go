package sctpgw_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func TestErrorsCarryCodeReasonAndMetadata(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	err := client.Send(context.Background(), id, []byte("x"), &sctpgw.SendOptions{Stream: 12})
	var e *sctpgw.Error
	if !errors.As(err, &e) {
		t.Fatalf("Send: %T %v", err, err)
	}
	if e.Code != codes.InvalidArgument || e.Reason != "STREAM_OUT_OF_RANGE" || e.Domain != "sctpgw.dev" ||
		e.Call != "Send" || e.Message != "stream out of range" {
		t.Fatalf("error %#v", e)
	}
	if e.Metadata["field"] != "messages[0].stream" || e.Metadata["outbound_streams"] != "10" {
		t.Fatalf("metadata %v", e.Metadata)
	}
	want := "INVALID_ARGUMENT STREAM_OUT_OF_RANGE: stream out of range [field=messages[0].stream outbound_streams=10]"
	if err.Error() != want {
		t.Fatalf("Error()\n got %q\nwant %q", err.Error(), want)
	}
	if sctpgw.ReasonOf(err) != "STREAM_OUT_OF_RANGE" || sctpgw.CodeOf(err) != codes.InvalidArgument ||
		!sctpgw.IsReason(err, "STREAM_OUT_OF_RANGE") {
		t.Fatal("the helpers disagree with the error")
	}
	// Wrapped, and through gRPC's own helpers.
	wrapped := fmt.Errorf("sending: %w", err)
	if sctpgw.ReasonOf(wrapped) != "STREAM_OUT_OF_RANGE" || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("wrapped: %q, status code %v", sctpgw.ReasonOf(wrapped), status.Code(err))
	}

	_, err = client.Associate(context.Background(), 424242, []string{"127.0.0.1"}, 9, nil)
	if sctpgw.CodeOf(err) != codes.NotFound || sctpgw.ReasonOf(err) != "ENDPOINT_NOT_FOUND" {
		t.Fatalf("Associate from no endpoint: %v", err)
	}
	endpoint, err := client.OpenEndpoint(context.Background(), []string{"127.0.0.1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Associate(context.Background(), endpoint.GetEndpointId(), []string{"127.0.0.1"}, 9, nil)
	want = "UNAVAILABLE ASSOCIATE_FAILED: the peer refused the association (ABORT) [errno=111 peer=127.0.0.1:9]"
	if err == nil || err.Error() != want {
		t.Fatalf("Associate to port 9: %v", err)
	}
	_, err = client.OpenEndpoint(context.Background(), []string{"not-an-address"}, 0, nil)
	if sctpgw.ReasonOf(err) != "INVALID_ADDRESS" || sctpgw.MetadataOf(err)["address"] != "not-an-address" {
		t.Fatalf("OpenEndpoint: %v", err)
	}
}

func TestErrorsWithoutDetails(t *testing.T) {
	// Nothing listens: UNAVAILABLE from gRPC itself, no reason.
	target := "unix:" + filepath.Join(t.TempDir(), "nobody.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := sctpgw.Dial(ctx, target)
	var e *sctpgw.Error
	if !errors.As(err, &e) || e.Code != codes.Unavailable || e.Reason != "" || e.Metadata == nil {
		t.Fatalf("Dial with nothing listening: %#v", err)
	}
	if text := err.Error(); len(text) < 13 || text[:13] != "UNAVAILABLE: " {
		t.Fatalf("Error() %q", text)
	}

	plain := sctpgw.FromError(status.Error(codes.Internal, "boom"))
	if plain.Error() != "INTERNAL: boom" || sctpgw.ReasonOf(plain) != "" {
		t.Fatalf("plain status: %v", plain)
	}
	if sctpgw.FromError(nil) != nil || sctpgw.CodeOf(nil) != codes.OK || sctpgw.ReasonOf(nil) != "" {
		t.Fatal("nil is no error")
	}
	if other := sctpgw.FromError(errors.New("odd")); sctpgw.CodeOf(other) != codes.Unknown {
		t.Fatalf("a plain error: %v", other)
	}
	if deadline := sctpgw.FromError(context.DeadlineExceeded); sctpgw.CodeOf(deadline) != codes.DeadlineExceeded ||
		!errors.Is(deadline, context.DeadlineExceeded) || errors.Is(deadline, context.Canceled) {
		t.Fatalf("context.DeadlineExceeded: %v", deadline)
	}
}

func TestCorruptErrorDetailsAreIgnored(t *testing.T) {
	garbage := &anypb.Any{TypeUrl: "type.googleapis.com/google.rpc.ErrorInfo",
		Value: []byte{0x0a, 0xff, 0x01}} // a length past the end
	st := status.FromProto(&spb.Status{Code: int32(codes.FailedPrecondition), Message: "closed",
		Details: []*anypb.Any{garbage}})
	e := sctpgw.FromError(st.Err())
	if sctpgw.CodeOf(e) != codes.FailedPrecondition || sctpgw.ReasonOf(e) != "" || e.Error() != "FAILED_PRECONDITION: closed" {
		t.Fatalf("corrupt details: %v", e)
	}

	// Another detail first, then the ErrorInfo.
	withInfo, _ := status.New(codes.Unavailable, "again").WithDetails(
		&errdetails.RetryInfo{}, &errdetails.ErrorInfo{Reason: "RECONFIGURATION_PENDING", Domain: sctpgw.Domain})
	if reason := sctpgw.ReasonOf(withInfo.Err()); reason != "RECONFIGURATION_PENDING" {
		t.Fatalf("reason %q", reason)
	}
}

func TestCodeNames(t *testing.T) {
	for code, name := range map[codes.Code]string{
		codes.Canceled: "CANCELLED", codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
		codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.FailedPrecondition: "FAILED_PRECONDITION",
		codes.OutOfRange: "OUT_OF_RANGE", codes.Unavailable: "UNAVAILABLE", codes.Unauthenticated: "UNAUTHENTICATED",
	} {
		if got := sctpgw.CodeName(code); got != name {
			t.Errorf("CodeName(%v) = %q, want %q", code, got, name)
		}
	}
}

func TestHandedOver(t *testing.T) {
	e := sctpgw.FromError(abort(codes.Unavailable, "HANDED_OVER", nil, "")).(*sctpgw.Error)
	if !e.HandedOver() {
		t.Fatal("HANDED_OVER not recognised")
	}
	if sctpgw.FromError(abort(codes.Unavailable, "SHUTTING_DOWN", nil, "")).(*sctpgw.Error).HandedOver() {
		t.Fatal("SHUTTING_DOWN taken for a handover")
	}
	_ = pb.ServiceState_SERVICE_STATE_HANDING_OVER
}
