//go:build lab

package sctpgw_test

// The library end to end against a real sctpgw under kernel SCTP and an
// echo peer that is not sctpgw's (socat, echoing on stream 0 with PPID 0):
// tests/lab/clients_go.sh runs these with SCTPGW_LAB_TARGET (sctpgw's
// address) and SCTPGW_LAB_ECHO_PORT (socat's port on 127.0.0.1).

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func labSetting(t *testing.T) (string, uint32) {
	t.Helper()
	target := os.Getenv("SCTPGW_LAB_TARGET")
	port, err := strconv.ParseUint(os.Getenv("SCTPGW_LAB_ECHO_PORT"), 10, 16)
	if target == "" || err != nil {
		t.Skip("SCTPGW_LAB_TARGET and SCTPGW_LAB_ECHO_PORT name no sctpgw and echo peer")
	}
	return target, uint32(port)
}

// eventLog reads an event stream on a goroutine into a channel.
func eventLog(events *sctpgw.EventStream) <-chan *pb.Event {
	log := make(chan *pb.Event, 256)
	go func() {
		defer close(log)
		for {
			event, err := events.Next()
			if err != nil {
				return
			}
			log <- event
		}
	}()
	return log
}

// awaitChange waits for an association change of the association.
func awaitChange(t *testing.T, log <-chan *pb.Event, associationID uint64, change pb.AssociationChangeType) *pb.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case event, ok := <-log:
			if !ok {
				t.Fatalf("the event stream ended before %v", change)
			}
			t.Logf("event %d %s association %d", event.GetSequence(), sctpgw.EventKind(event), event.GetAssociationId())
			if event.GetAssociationId() == associationID && event.GetAssociationChange().GetType() == change {
				return event
			}
		case <-timeout:
			t.Fatalf("no %v of association %d", change, associationID)
		}
	}
}

// receiveBytes receives from an association until count bytes came.
func receiveBytes(t *testing.T, client *sctpgw.Client, associationID uint64, count int) []byte {
	t.Helper()
	var got []byte
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < count && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		messages, err := client.Receive(ctx, associationID, nil)
		cancel()
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		for _, m := range messages {
			if m.GetStream() != 0 || m.GetPpid() != 0 {
				t.Fatalf("an echo on stream %d PPID %d", m.GetStream(), m.GetPpid())
			}
			got = append(got, m.GetPayload()...)
		}
	}
	return got
}

func TestLabEchoThroughTheLibrary(t *testing.T) {
	target, echoPort := labSetting(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client, err := sctpgw.Dial(ctx, target, sctpgw.WithClientName("go-lab"), sctpgw.WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	events := client.Events(context.Background(), nil)
	if _, err := events.Start(ctx); err != nil {
		t.Fatal(err)
	}
	log := eventLog(events)

	endpoint, err := client.OpenEndpoint(ctx, []string{"127.0.0.1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	association, err := client.Associate(ctx, endpoint.GetEndpointId(), []string{"127.0.0.1"}, echoPort,
		&sctpgw.AssociateOptions{Streams: 4})
	if err != nil {
		t.Fatal(err)
	}
	id := association.GetAssociationId()
	if association.GetState() != pb.AssociationState_ASSOCIATION_STATE_ESTABLISHED || association.GetOutboundStreams() == 0 {
		t.Fatalf("association %v", association)
	}
	up := awaitChange(t, log, id, pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_UP)

	// One message on stream 1 with a PPID; socat echoes it on stream 0.
	message := []byte("hello from the Go library")
	if err := client.Send(ctx, id, message, &sctpgw.SendOptions{Stream: 1, PPID: 46}); err != nil {
		t.Fatal(err)
	}
	if got := receiveBytes(t, client, id, len(message)); !bytes.Equal(got, message) {
		t.Fatalf("echo %q", got)
	}

	// A send stream: three batches; the echoes through a receive stream
	// (socat's pipe may join them, so bytes are counted).
	stream, err := client.SendStream(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := 0; i < 3; i++ {
		payload := []byte("batch " + strconv.Itoa(i) + ";")
		want = append(want, payload...)
		if err := stream.Send(sctpgw.Message(payload, &sctpgw.SendOptions{Stream: 2, PPID: 46})); err != nil {
			t.Fatal(err)
		}
	}
	totals, err := stream.Finish()
	if err != nil || totals.GetCompletedRequests() != 3 || totals.GetAcceptedMessages() != 3 {
		t.Fatalf("Finish: %v, %v", totals, err)
	}
	receiving, cancelReceiving := context.WithTimeout(ctx, 20*time.Second)
	received := client.ReceiveStream(receiving, sctpgw.ReceiveStreamOptions{AssociationID: id})
	var got []byte
	for len(got) < len(want) {
		m, err := received.Next()
		if err != nil {
			t.Fatalf("ReceiveStream after %q: %v", got, err)
		}
		got = append(got, m.GetPayload()...)
	}
	received.Close()
	cancelReceiving()
	if !bytes.Equal(got, want) {
		t.Fatalf("echoes %q, want %q", got, want)
	}

	status, err := client.GetAssociation(ctx, id)
	if err != nil || len(status.GetPaths()) == 0 ||
		status.GetStatus().GetState() != pb.KernelAssociationState_KERNEL_ASSOCIATION_STATE_ESTABLISHED {
		t.Fatalf("GetAssociation: %v, %v", status, err)
	}
	if err := client.Shutdown(ctx, id); err != nil {
		t.Fatal(err)
	}
	done := awaitChange(t, log, id, pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP)
	if done.GetSequence() <= up.GetSequence() {
		t.Fatalf("SHUTDOWN_COMP %d before COMM_UP %d", done.GetSequence(), up.GetSequence())
	}

	// Nobody listens on the discard port.
	_, err = client.Associate(ctx, endpoint.GetEndpointId(), []string{"127.0.0.1"}, 9, nil)
	var e *sctpgw.Error
	if !errors.As(err, &e) || e.Code != codes.Unavailable || e.Reason != "ASSOCIATE_FAILED" || e.Domain != sctpgw.Domain {
		t.Fatalf("Associate to port 9: %v", err)
	}
	t.Logf("Associate to port 9: %v", err)
	events.Close()
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
}

// In application liveness the session lives while Next is called, and
// loses its associations once the goroutine handling events stops.
func TestLabApplicationLiveness(t *testing.T) {
	target, echoPort := labSetting(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	client, err := sctpgw.Dial(ctx, target, sctpgw.WithClientName("go-lab-liveness"),
		sctpgw.WithApplicationLiveness(), sctpgw.WithLease(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if client.Liveness() != pb.SessionLiveness_SESSION_LIVENESS_APPLICATION {
		t.Skipf("this sctpgw does not offer application liveness (it answered %v)", client.Liveness())
	}
	lease := client.Lease()
	events := client.Events(context.Background(), nil)
	if _, err := events.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hang := make(chan struct{})
	go func() {
		for {
			if _, err := events.Next(); err != nil {
				return
			}
			select {
			case <-hang:
				<-ctx.Done()
				return
			default:
			}
		}
	}()
	endpoint, err := client.OpenEndpoint(ctx, []string{"127.0.0.1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	association, err := client.Associate(ctx, endpoint.GetEndpointId(), []string{"127.0.0.1"}, echoPort, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease + lease/2) // Longer than the lease: Next renews it.
	if _, err := client.GetAssociation(ctx, association.GetAssociationId()); err != nil {
		t.Fatalf("after %v of a live consumer: %v", lease+lease/2, err)
	}
	// The next event (a second association's COMM_UP) hangs the consumer.
	close(hang)
	second, err := client.OpenEndpoint(ctx, []string{"127.0.0.1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Associate(ctx, second.GetEndpointId(), []string{"127.0.0.1"}, echoPort, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(lease*3 + 10*time.Second)
	for {
		_, err := client.GetAssociation(ctx, association.GetAssociationId())
		if sctpgw.ReasonOf(err) == "SESSION_NOT_FOUND" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session outlived its hung consumer: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
