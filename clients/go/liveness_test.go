package sctpgw_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func renewals(f *fakeGateway) []*pb.RenewLeaseRequest {
	var found []*pb.RenewLeaseRequest
	for _, r := range f.requestsOf("RenewLease") {
		found = append(found, r.request.(*pb.RenewLeaseRequest))
	}
	return found
}

// In application liveness only RenewLease keeps the session, and Next
// calls it: while events come, while the consumer idles (woken by progress
// messages), and no longer once the consumer hangs.
func TestApplicationLivenessRenewsFromNext(t *testing.T) {
	const lease = 1800 * time.Millisecond
	s := newServer(t)
	client := s.dial(sctpgw.WithApplicationLiveness(), sctpgw.WithLease(lease))
	if client.Liveness() != pb.SessionLiveness_SESSION_LIVENESS_APPLICATION || client.Lease() != lease {
		t.Fatalf("liveness %v lease %v", client.Liveness(), client.Lease())
	}
	open := s.fake.requestsOf("OpenSession")[0].request.(*pb.OpenSessionRequest)
	if open.GetLiveness() != pb.SessionLiveness_SESSION_LIVENESS_APPLICATION {
		t.Fatalf("OpenSession asked for %v", open.GetLiveness())
	}
	events := client.Events(context.Background(), nil)
	if _, err := events.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A third of the lease is 600 ms; the service's minimum is 1 s.
	if ms := s.fake.requestsOf("WatchEvents")[0].request.(*pb.WatchEventsRequest).GetProgressIntervalMs(); ms != 1000 {
		t.Fatalf("progress interval %d ms", ms)
	}

	// The consumer: handles events until told to hang, then hangs.
	var mu sync.Mutex
	handled := uint64(0)
	hang := make(chan struct{})
	resume := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		for {
			event, err := events.Next()
			if err != nil {
				ended <- err
				return
			}
			mu.Lock()
			handled = event.GetSequence()
			mu.Unlock()
			select {
			case <-hang:
				<-resume
			default:
			}
		}
	}()

	began := time.Now()
	for i := 0; i < 6; i++ { // Events for 0.6 s.
		s.fake.addEvent(1, commUp)
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // Idle for longer than the lease.
	if s.fake.sessionCount() != 1 {
		t.Fatal("the session expired although the consumer was alive")
	}
	if _, err := client.ListAssociations(context.Background(), 0); err != nil {
		t.Fatalf("a call after %v: %v", time.Since(began), err)
	}
	renewed := renewals(s.fake)
	// At least one per second of the 2.6 s, at most one per 600 ms.
	if len(renewed) < 2 || len(renewed) > 6 {
		t.Fatalf("%d renewals in %v", len(renewed), time.Since(began))
	}
	mu.Lock()
	last := handled
	mu.Unlock()
	if last != 6 || renewed[len(renewed)-1].GetHandledSequence() != 6 || renewed[0].GetSessionId() != client.SessionID() {
		t.Fatalf("handled %d, the last renewal said %d", last, renewed[len(renewed)-1].GetHandledSequence())
	}
	for i := 1; i < len(renewed); i++ {
		if renewed[i].GetHandledSequence() < renewed[i-1].GetHandledSequence() {
			t.Fatal("a renewal went back in the sequence")
		}
	}

	// The consumer hangs in its handling of the next event: renewals stop
	// and the lease runs out, although the stream and connection are fine.
	close(hang)
	s.fake.addEvent(1, commLost)
	time.Sleep(lease + 300*time.Millisecond)
	if count := len(renewals(s.fake)); count > len(renewed)+1 {
		t.Fatalf("%d renewals while the consumer hung", count-len(renewed))
	}
	if _, err := client.ListAssociations(context.Background(), 0); sctpgw.ReasonOf(err) != "SESSION_NOT_FOUND" {
		t.Fatalf("the session outlived its lease: %v", err)
	}
	close(resume)
	select {
	case err := <-ended:
		if sctpgw.ReasonOf(err) != "SESSION_NOT_FOUND" {
			t.Fatalf("Next after the lease ran out: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not end")
	}
}

func TestConnectionLivenessNeverRenews(t *testing.T) {
	s := newServer(t)
	client := s.dial(sctpgw.WithLease(1500 * time.Millisecond))
	events := client.Events(context.Background(), nil)
	for i := 0; i < 3; i++ {
		s.fake.addEvent(1, commUp)
	}
	take(t, events, 3)
	if n := len(renewals(s.fake)); n != 0 {
		t.Fatalf("%d renewals in connection liveness", n)
	}
	if ms := s.fake.requestsOf("WatchEvents")[0].request.(*pb.WatchEventsRequest).GetProgressIntervalMs(); ms != 0 {
		t.Fatalf("progress interval %d ms", ms)
	}
}

func TestAttachingInApplicationLivenessRenewsAtOnce(t *testing.T) {
	s := newServer(t)
	first := s.dial(sctpgw.WithApplicationLiveness(), sctpgw.WithLease(6*time.Second), sctpgw.WithKeepSession())
	first.Close()
	again := s.dial(sctpgw.WithSession(first.SessionID()), sctpgw.WithApplicationLiveness())
	renewed := renewals(s.fake)
	if len(renewed) != 1 || renewed[0].GetHandledSequence() != 0 || renewed[0].GetSessionId() != first.SessionID() {
		t.Fatalf("renewals %v", renewed)
	}
	if again.Lease() != 6*time.Second || again.Liveness() != pb.SessionLiveness_SESSION_LIVENESS_APPLICATION {
		t.Fatalf("lease %v liveness %v", again.Lease(), again.Liveness())
	}
	events := again.Events(context.Background(), nil)
	if _, err := events.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ms := s.fake.requestsOf("WatchEvents")[0].request.(*pb.WatchEventsRequest).GetProgressIntervalMs(); ms != 2000 {
		t.Fatalf("progress interval %d ms", ms)
	}

	// Attaching to a session that is gone fails at Dial.
	_, err := sctpgw.Dial(context.Background(), s.target, sctpgw.WithSession("feed"), sctpgw.WithApplicationLiveness())
	if sctpgw.ReasonOf(err) != "SESSION_NOT_FOUND" {
		t.Fatalf("Dial: %v", err)
	}
}

func TestAFailedRenewalIsTriedAgain(t *testing.T) {
	s := newServer(t)
	client := s.dial(sctpgw.WithApplicationLiveness(), sctpgw.WithLease(1500*time.Millisecond))
	s.fake.script(func() {
		s.fake.failNext["RenewLease"] = []failure{{codes.Unavailable, "SHUTTING_DOWN", nil, "busy"}}
	})
	events := client.Events(context.Background(), nil)
	time.Sleep(600 * time.Millisecond) // A renewal is due.
	s.fake.addEvent(1, commUp)
	s.fake.addEvent(1, commUp)
	take(t, events, 2)
	renewed := renewals(s.fake)
	if len(renewed) < 2 {
		t.Fatalf("%d renewals: the failed one was not tried again", len(renewed))
	}
	if s.fake.sessionCount() != 1 {
		t.Fatal("the session is gone")
	}
}

func TestAServiceWithoutApplicationLivenessIsNotRenewed(t *testing.T) {
	s := newServer(t)
	s.fake.script(func() {
		s.fake.predatesLiveness = true
	})
	client := s.dial(sctpgw.WithApplicationLiveness(), sctpgw.WithLease(1500*time.Millisecond))
	if client.Liveness() != pb.SessionLiveness_SESSION_LIVENESS_CONNECTION {
		t.Fatalf("liveness %v", client.Liveness())
	}
	events := client.Events(context.Background(), nil)
	time.Sleep(600 * time.Millisecond)
	s.fake.addEvent(1, commUp)
	take(t, events, 1)
	if n := len(renewals(s.fake)); n != 0 {
		t.Fatalf("%d renewals", n)
	}
	if ms := s.fake.requestsOf("WatchEvents")[0].request.(*pb.WatchEventsRequest).GetProgressIntervalMs(); ms != 0 {
		t.Fatalf("progress interval %d ms", ms)
	}
}
