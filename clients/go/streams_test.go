package sctpgw_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func payloads(messages []*pb.InboundMessage) []string {
	var texts []string
	for _, m := range messages {
		texts = append(texts, string(m.GetPayload()))
	}
	return texts
}

func TestReceiveStreamDeliversUntilTheAssociationEnds(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	s.fake.deliver(id, inbound("one", 1, 46), inbound("two", 1, 46))
	stream := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{AssociationID: id, MaxMessages: 8})
	got, err := stream.Recv()
	if err != nil || len(got) != 2 || got[0].GetStream() != 1 || got[1].GetPpid() != 46 {
		t.Fatalf("Recv: %v, %v", got, err)
	}
	request := s.fake.requestsOf("ReceiveStream")[0].request.(*pb.ReceiveRequest)
	if request.GetAssociationId() != id || request.GetMaxMessages() != 8 || request.GetSessionId() != client.SessionID() {
		t.Fatalf("ReceiveStream request %v", request)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.fake.deliver(id, inbound("three", 0, 0))
		time.Sleep(50 * time.Millisecond)
		s.fake.endAssociation(id)
	}()
	if got, err := stream.Recv(); err != nil || payloads(got)[0] != "three" {
		t.Fatalf("Recv: %v, %v", got, err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv at the association's end: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after the end: %v", err)
	}
}

func TestReceiveStreamFromAnEndpointAndClose(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	var endpointID uint64
	s.fake.script(func() {
		endpointID = s.fake.associations[id].GetEndpointId()
	})
	s.fake.deliver(id, inbound("hello", 0, 0))
	stream := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{EndpointID: endpointID})
	if got, err := stream.Recv(); err != nil || payloads(got)[0] != "hello" {
		t.Fatalf("Recv: %v, %v", got, err)
	}
	if request := s.fake.requestsOf("ReceiveStream")[0].request.(*pb.ReceiveRequest); request.GetEndpointId() != endpointID {
		t.Fatalf("ReceiveStream request %v", request)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		stream.Close()
	}()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatalf("Recv after Close: %v", err)
	}
}

func TestReceiveStreamReopensAfterABreak(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	s.fake.script(func() {
		s.fake.receiveStreamBreaks = []failure{{codes.Unavailable, "HANDED_OVER", nil, "handing over"}}
	})
	s.fake.deliver(id, inbound("first", 0, 0))
	stream := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{AssociationID: id})
	if got, err := stream.Recv(); err != nil || payloads(got)[0] != "first" {
		t.Fatalf("Recv: %v, %v", got, err)
	}
	s.fake.deliver(id, inbound("second", 0, 0)) // The break comes here, losing nothing.
	if got, err := stream.Recv(); err != nil || payloads(got)[0] != "second" {
		t.Fatalf("Recv after the break: %v, %v", got, err)
	}
	if stream.Reconnects() != 1 || len(s.fake.requestsOf("ReceiveStream")) != 2 {
		t.Fatalf("%d reconnects, %d calls", stream.Reconnects(), len(s.fake.requestsOf("ReceiveStream")))
	}
	stream.Close()

	// What reopening cannot cure ends it.
	gone := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{AssociationID: 99999})
	if _, err := gone.Recv(); sctpgw.ReasonOf(err) != "ASSOCIATION_NOT_FOUND" {
		t.Fatalf("Recv of no association: %v", err)
	}
	// So does the context's deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	bounded := client.ReceiveStream(ctx, sctpgw.ReceiveStreamOptions{AssociationID: id})
	if _, err := bounded.Recv(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv past the deadline: %v", err)
	}
}

func TestReceiveStreamNextJoinsPieces(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	s.fake.deliver(id,
		&pb.InboundMessage{Stream: 1, Ppid: 60, Payload: []byte("hel"), MoreFollows: true},
		&pb.InboundMessage{Stream: 2, Payload: []byte("between")},
		&pb.InboundMessage{Stream: 1, Ppid: 60, Payload: []byte("lo"), Offset: 3})
	stream := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{AssociationID: id})
	first, err := stream.Next()
	if err != nil || string(first.GetPayload()) != "between" {
		t.Fatalf("Next: %v, %v", first, err)
	}
	second, err := stream.Next()
	if err != nil || string(second.GetPayload()) != "hello" || second.GetPpid() != 60 || second.GetMoreFollows() {
		t.Fatalf("Next: %v, %v", second, err)
	}
}

func TestSendStreamSendsInOrderAndReturnsTotals(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	other := s.fake.addAssociation()
	stream, err := client.SendStream(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 9; i++ {
		if err := stream.Send(sctpgw.Message([]byte{byte('a' + i)}, &sctpgw.SendOptions{Stream: 1}),
			sctpgw.Message([]byte("x"), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.SendTo(other, sctpgw.Message([]byte("elsewhere"), nil)); err != nil {
		t.Fatal(err)
	}
	totals, err := stream.Finish()
	if err != nil || totals.GetCompletedRequests() != 10 || totals.GetAcceptedMessages() != 19 {
		t.Fatalf("Finish: %v, %v", totals, err)
	}
	if stream.Totals() != totals {
		t.Fatal("Totals differs from Finish's")
	}
	sent := s.fake.sentTo(id)
	if len(sent) != 18 || string(sent[0].GetPayload()) != "a" || string(sent[16].GetPayload()) != "i" ||
		len(s.fake.sentTo(other)) != 1 {
		t.Fatalf("sent %d and %d", len(sent), len(s.fake.sentTo(other)))
	}
	request := s.fake.requestsOf("SendStream")[0].request.(*pb.SendRequest)
	if request.GetSessionId() != client.SessionID() || request.GetAssociationId() != id {
		t.Fatalf("SendStream request %v", request)
	}
	if err := stream.Send(sctpgw.Message([]byte("late"), nil)); sctpgw.CodeOf(err) != codes.FailedPrecondition {
		t.Fatalf("Send after Finish: %v", err)
	}
}

func TestSendStreamEndsWithTheFirstError(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	stream, err := client.SendStream(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	stream.Send(sctpgw.Message([]byte("ok"), nil))
	stream.Send(sctpgw.Message([]byte("ok"), nil))
	stream.Send(sctpgw.Message([]byte("bad"), &sctpgw.SendOptions{Stream: 50}))
	// Later sends fail once the stream has ended.
	var sendErr error
	for i := 0; i < 100 && sendErr == nil; i++ {
		sendErr = stream.Send(sctpgw.Message([]byte("after"), nil))
		time.Sleep(5 * time.Millisecond)
	}
	_, err = stream.Finish()
	if sctpgw.ReasonOf(err) != "STREAM_OUT_OF_RANGE" || sctpgw.MetadataOf(err)["completed_requests"] != "2" {
		t.Fatalf("Finish: %v", err)
	}
	if sendErr != err {
		t.Fatalf("Send after the error: %v", sendErr)
	}

	cancelled, err := client.SendStream(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cancelled.Close()
	if _, err := cancelled.Finish(); sctpgw.CodeOf(err) != codes.Canceled {
		t.Fatalf("Finish after Close: %v", err)
	}
}

func TestCapture(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	capture, err := client.Capture(context.Background(), &sctpgw.CaptureOptions{AssociationID: 5, SnapBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer capture.Close()
	first, err := capture.Recv()
	if err != nil || len(first.GetMessages()) != 0 {
		t.Fatalf("first response: %v, %v", first, err)
	}
	second, err := capture.Recv()
	if err != nil || second.GetDroppedMessages() != 2 || string(second.GetMessages()[0].GetPayload()) != "copy" {
		t.Fatalf("second response: %v, %v", second, err)
	}
	if _, err := capture.Recv(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	request := s.fake.requestsOf("Capture")[0].request.(*pb.CaptureRequest)
	if request.GetAssociationId() != 5 || request.GetSnapBytes() != 64 || request.GetSessionId() != client.SessionID() {
		t.Fatalf("Capture request %v", request)
	}
}
