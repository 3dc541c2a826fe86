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

const (
	commUp       = pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_UP
	commLost     = pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_LOST
	shutdownComp = pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP
)

// take reads count events.
func take(t *testing.T, events *sctpgw.EventStream, count int) []*pb.Event {
	t.Helper()
	var got []*pb.Event
	for len(got) < count {
		event, err := events.Next()
		if err != nil {
			t.Fatalf("Next after %d events: %v", len(got), err)
		}
		got = append(got, event)
	}
	return got
}

func sequences(events []*pb.Event) []uint64 {
	var numbers []uint64
	for _, e := range events {
		numbers = append(numbers, e.GetSequence())
	}
	return numbers
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStartWaitsForTheAcknowledgementAndEventsFollowInOrder(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	s.fake.addEvent(7, commUp)
	events := client.Events(context.Background(), nil)
	ack, err := events.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ack.GetAfterSequence() != 0 || ack.GetLastSequence() != 1 || events.Ack() != ack {
		t.Fatalf("ack %v", ack)
	}
	if again, _ := events.Start(context.Background()); again != ack {
		t.Fatal("a second Start opened another stream")
	}
	s.fake.addEvent(7, shutdownComp)
	got := take(t, events, 2)
	if !equal(sequences(got), []uint64{1, 2}) ||
		got[0].GetAssociationChange().GetType() != commUp || got[1].GetAssociationChange().GetType() != shutdownComp {
		t.Fatalf("events %v", got)
	}
	if events.LastSequence() != 2 || sctpgw.EventKind(got[0]) != "association_change" {
		t.Fatalf("last %d kind %q", events.LastSequence(), sctpgw.EventKind(got[0]))
	}
	watch := s.fake.requestsOf("WatchEvents")
	if len(watch) != 1 {
		t.Fatalf("%d WatchEvents calls", len(watch))
	}
	request := watch[0].request.(*pb.WatchEventsRequest)
	if request.GetSessionId() != client.SessionID() || request.GetAfterSequence() != 0 ||
		request.GetProgressIntervalMs() != 0 || !watch[0].deadline.IsZero() {
		t.Fatalf("WatchEvents request %v, deadline %v", request, watch[0].deadline)
	}
	events.Close()
	if _, err := events.Next(); err != io.EOF {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestABrokenStreamResumesAfterTheLastEventEachOnce(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	for i := 0; i < 5; i++ {
		s.fake.addEvent(1, commUp)
	}
	s.fake.script(func() {
		s.fake.watchBreaks = []int{2, 1} // The first stream breaks after 2, the second after 1.
	})
	events := client.Events(context.Background(), nil)
	if got := sequences(take(t, events, 5)); !equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("sequences %v", got)
	}
	if events.Reconnects() != 2 {
		t.Fatalf("%d reconnects", events.Reconnects())
	}
	// Each resume starts after the last event returned before it (gRPC may
	// drop the events sent just before a stream's error; they come again on
	// the next stream, never twice to the application).
	watch := s.fake.requestsOf("WatchEvents")
	after := func(i int) uint64 { return watch[i].request.(*pb.WatchEventsRequest).GetAfterSequence() }
	if len(watch) != 3 || after(0) != 0 || after(1) > 2 || after(2) < after(1) || after(2) > 3 {
		t.Fatalf("%d streams, after %d %d %d", len(watch), after(0), after(1), after(2))
	}
}

func TestEventsResumeAfterTheServiceRestarts(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	s.fake.addEvent(1, commUp)
	events := client.Events(context.Background(), nil)
	if _, err := events.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	take(t, events, 1)
	s.restart() // Every connection drops; the same fake answers again.
	s.fake.addEvent(1, commLost)
	s.fake.addEvent(2, commUp)
	got := take(t, events, 2)
	if !equal(sequences(got), []uint64{2, 3}) {
		t.Fatalf("after the restart: %v", sequences(got))
	}
	if events.Reconnects() < 1 {
		t.Fatal("no reconnect counted")
	}
	watch := s.fake.requestsOf("WatchEvents")
	if resumed := watch[len(watch)-1].request.(*pb.WatchEventsRequest); resumed.GetAfterSequence() != 1 {
		t.Fatalf("resumed after %d", resumed.GetAfterSequence())
	}
}

func TestAfterSequenceAndOnlyNew(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	for i := 0; i < 3; i++ {
		s.fake.addEvent(1, commUp)
	}
	from := client.Events(context.Background(), &sctpgw.EventsOptions{AfterSequence: 2})
	if got := sequences(take(t, from, 1)); !equal(got, []uint64{3}) {
		t.Fatalf("after 2: %v", got)
	}
	from.Close()

	s.fake.script(func() {
		s.fake.watchBreaks = []int{1}
	})
	fresh := client.Events(context.Background(), &sctpgw.EventsOptions{OnlyNew: true})
	ack, err := fresh.Start(context.Background())
	if err != nil || ack.GetAfterSequence() != 3 || fresh.LastSequence() != 3 {
		t.Fatalf("only new: %v, %v, last %d", ack, err, fresh.LastSequence())
	}
	s.fake.addEvent(1, commLost)
	s.fake.addEvent(1, shutdownComp)
	if got := sequences(take(t, fresh, 2)); !equal(got, []uint64{4, 5}) {
		t.Fatalf("only new: %v", got)
	}
	watch := s.fake.requestsOf("WatchEvents")
	first := watch[len(watch)-2].request.(*pb.WatchEventsRequest)
	resumed := watch[len(watch)-1].request.(*pb.WatchEventsRequest)
	if !first.GetOnlyNew() || resumed.GetOnlyNew() || (resumed.GetAfterSequence() != 3 && resumed.GetAfterSequence() != 4) {
		t.Fatalf("first %v, resumed %v", first, resumed)
	}

	filtered := client.Events(context.Background(), &sctpgw.EventsOptions{EndpointID: 77})
	s.fake.addEventWith(&pb.Event{EndpointId: 77, Kind: &pb.Event_SenderDry{SenderDry: &pb.SenderDry{}}})
	event := take(t, filtered, 1)[0]
	if event.GetEndpointId() != 77 || sctpgw.EventKind(event) != "sender_dry" {
		t.Fatalf("filtered: %v", event)
	}
	if request := s.fake.requestsOf("WatchEvents"); request[len(request)-1].request.(*pb.WatchEventsRequest).GetEndpointId() != 77 {
		t.Fatal("no endpoint filter asked")
	}
}

func TestWhatResumingCannotCureEndsTheStream(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	s.fake.script(func() {
		s.fake.firstKept = 10
	})
	s.fake.addEvent(1, commUp)
	events := client.Events(context.Background(), &sctpgw.EventsOptions{AfterSequence: 3})
	_, err := events.Start(context.Background())
	if sctpgw.CodeOf(err) != codes.OutOfRange || sctpgw.ReasonOf(err) != "HISTORY_COMPACTED" ||
		sctpgw.MetadataOf(err)["first_kept_sequence"] != "10" {
		t.Fatalf("Start: %v", err)
	}
	if _, again := events.Next(); again != err {
		t.Fatalf("Next after the end: %v", again)
	}

	s.fake.script(func() {
		s.fake.failNext["WatchEvents"] = []failure{{codes.NotFound, "SESSION_NOT_FOUND", nil, "gone"}}
	})
	gone := client.Events(context.Background(), &sctpgw.EventsOptions{AfterSequence: 9})
	if _, err := gone.Next(); sctpgw.ReasonOf(err) != "SESSION_NOT_FOUND" {
		t.Fatalf("Next: %v", err)
	}

	// NoReconnect: the break itself ends the stream.
	s.fake.script(func() {
		s.fake.watchBreaks = []int{0}
	})
	s.fake.addEvent(1, commLost)
	once := client.Events(context.Background(), &sctpgw.EventsOptions{AfterSequence: 10, NoReconnect: true})
	if _, err := once.Next(); sctpgw.ReasonOf(err) != "SHUTTING_DOWN" {
		t.Fatalf("Next without reconnecting: %v", err)
	}
}

func TestCloseAndTheContextEndAWaitingNext(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	events := client.Events(context.Background(), nil)
	if _, err := events.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := events.Next()
		ended <- err
	}()
	time.Sleep(50 * time.Millisecond)
	events.Close()
	select {
	case err := <-ended:
		if err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end Next")
	}

	ctx, cancel := context.WithCancel(context.Background())
	bounded := client.Events(ctx, nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	if _, err := bounded.Next(); !errors.Is(err, context.Canceled) || sctpgw.CodeOf(err) != codes.Canceled {
		t.Fatalf("Next after the context's end: %v", err)
	}

	// The client's Close ends its streams.
	last := client.Events(context.Background(), nil)
	if _, err := last.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	client.Close()
	if _, err := last.Next(); err != io.EOF {
		t.Fatalf("Next after the client's Close: %v", err)
	}
	// Streams of a closed client end at once.
	if _, err := client.Events(context.Background(), nil).Next(); err != io.EOF {
		t.Fatalf("Next on a closed client: %v", err)
	}
	if _, err := client.ReceiveStream(context.Background(), sctpgw.ReceiveStreamOptions{AssociationID: 1}).Recv(); err != io.EOF {
		t.Fatalf("Recv on a closed client: %v", err)
	}
	if _, err := client.SendStream(context.Background(), 1); err == nil {
		t.Fatal("SendStream on a closed client")
	}
}

func TestProgressMessagesAreHandledInside(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	events := client.Events(context.Background(), &sctpgw.EventsOptions{ProgressInterval: 200 * time.Millisecond})
	go func() {
		time.Sleep(1500 * time.Millisecond)
		s.fake.addEvent(3, commUp)
	}()
	event, err := events.Next()
	if err != nil || event.GetSequence() != 1 {
		t.Fatalf("Next: %v, %v", event, err)
	}
	if events.Progress() == nil {
		t.Fatal("no progress message seen")
	}
	// The service's minimum is 1 s.
	if ms := s.fake.requestsOf("WatchEvents")[0].request.(*pb.WatchEventsRequest).GetProgressIntervalMs(); ms != 1000 {
		t.Fatalf("progress interval %d ms", ms)
	}
}
