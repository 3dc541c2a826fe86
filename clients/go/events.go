package sctpgw

import (
	"context"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	pb "sctpgw.dev/proto/sctpgw/v1"
)

// EventsOptions say where an event stream starts and what it holds; the
// zero value (or nil): every event of the session from the oldest kept.
type EventsOptions struct {
	// AfterSequence: the last sequence already handled (0: from the oldest
	// kept).
	AfterSequence uint64
	// EndpointID: only that endpoint's events (0: all).
	EndpointID uint64
	// OnlyNew starts with the next new event instead (AfterSequence is
	// ignored).
	OnlyNew bool
	// ProgressInterval: a progress message after this long without events
	// (0: the service's default, 10 s). In application liveness it is at
	// most a third of the lease, so that an idle Next renews in time.
	ProgressInterval time.Duration
	// NoReconnect ends the stream with the error that broke it instead of
	// resuming.
	NoReconnect bool
}

// EventStream is a session's resumable event stream (WatchEvents): Next
// returns each event in order, exactly once, for one goroutine. It
// connects on Start or the first Next; the acknowledgement and the
// progress messages are handled inside. When the stream breaks (sctpgw
// restarts or hands over, the connection drops) it reconnects after 100 ms
// doubling to 5 s, waiting for the service, and resumes after the last
// event Next returned.
//
// In application liveness (WithApplicationLiveness) Next also renews the
// session's lease when a renewal is due (every third of the lease), saying
// the last event handled, and asks for progress messages often enough that
// an idle Next renews in time: the session lives while the goroutine that
// handles its events keeps coming back to Next.
type EventStream struct {
	client *Client
	opts   EventsOptions
	ctx    context.Context // the stream's life: Events' context, ended by Close
	cancel context.CancelFunc
	retry  streamRetry

	// Touched by Next (and Start) only.
	pending []*pb.Event
	err     error // final, returned by every later Next
	acked   bool  // some stream has been acknowledged: only_new is settled

	mu         sync.Mutex // what other goroutines read, and Close
	call       pb.GatewayService_WatchEventsClient
	callCancel context.CancelFunc
	last       uint64
	ack        *pb.WatchAck
	progress   *pb.WatchProgress
	reconnects int
	closed     bool
}

// Events returns the session's event stream; it lives until ctx ends or
// Close (or the client's Close). Call Start to connect and wait for the
// acknowledgement before doing what the events will tell about, so that
// none of them is missed.
func (c *Client) Events(ctx context.Context, opts *EventsOptions) *EventStream {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &EventStream{client: c}
	if opts != nil {
		s.opts = *opts
	}
	s.last = s.opts.AfterSequence
	s.ctx, s.cancel = context.WithCancel(ctx)
	if !c.track(s) {
		s.Close() // Next says io.EOF.
	}
	return s
}

// Start connects (if Next has not) and waits for sctpgw's acknowledgement,
// so that no event of what the caller does next can be missed, and a
// refusal (NOT_FOUND / SESSION_NOT_FOUND, OUT_OF_RANGE / HISTORY_COMPACTED)
// is returned here. ctx bounds the wait (the default timeout if it has no
// deadline); when it passes first the stream ends with DEADLINE_EXCEEDED.
// Call it from the goroutine that then calls Next, or before that one
// starts.
func (s *EventStream) Start(ctx context.Context) (*pb.WatchAck, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.mu.Lock()
	ack, call := s.ack, s.call
	s.mu.Unlock()
	if call != nil && ack != nil {
		return ack, nil
	}
	ctx, cancel := s.client.withDeadline(ctx)
	defer cancel()
	if call == nil {
		if err := s.open(); err != nil {
			if s.isClosed() {
				return nil, s.fail(io.EOF)
			}
			return nil, s.fail(toError(err, "WatchEvents"))
		}
	}
	// Ends the call if the deadline passes before the acknowledgement.
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		select {
		case <-ctx.Done():
			s.mu.Lock()
			if s.ack == nil && s.callCancel != nil {
				s.callCancel()
			}
			s.mu.Unlock()
		case <-stop:
		}
	}()
	defer func() {
		close(stop)
		watcher.Wait()
	}()
	for {
		s.mu.Lock()
		ack = s.ack
		s.mu.Unlock()
		if ack != nil {
			return ack, nil
		}
		err, ended := s.read()
		if !ended {
			continue
		}
		if s.isClosed() {
			return nil, s.fail(io.EOF)
		}
		if ctx.Err() == context.DeadlineExceeded && s.ctx.Err() == nil {
			return nil, s.fail(newError(codes.DeadlineExceeded, "", nil,
				"no acknowledgement before the deadline", "WatchEvents"))
		}
		if ctx.Err() != nil {
			return nil, s.fail(toError(ctx.Err(), "WatchEvents"))
		}
		if err == nil {
			err = newError(codes.Unavailable, "", nil, "the event stream ended", "WatchEvents")
		}
		return nil, s.fail(err)
	}
}

// Next returns the next event, waiting for it. It returns io.EOF once the
// stream was closed, and an *Error for what resuming cannot cure:
// OUT_OF_RANGE / HISTORY_COMPACTED (events were lost to the service's
// history; metadata first_kept_sequence says where to go on),
// RESOURCE_EXHAUSTED / SUBSCRIBER_TOO_SLOW, NOT_FOUND / SESSION_NOT_FOUND,
// CANCELLED or DEADLINE_EXCEEDED when Events' context ended. Every call
// after such an end returns the same error.
func (s *EventStream) Next() (*pb.Event, error) {
	for {
		if s.err != nil {
			return nil, s.err
		}
		// Coming back to Next is what shows the application alive.
		if err := s.client.renewIfDue(s.ctx, s.LastSequence()); err != nil {
			return nil, s.fail(err)
		}
		if len(s.pending) > 0 {
			event := s.pending[0]
			s.pending[0] = nil
			s.pending = s.pending[1:]
			s.mu.Lock()
			s.last = event.GetSequence()
			s.mu.Unlock()
			return event, nil
		}
		if s.isClosed() {
			return nil, s.fail(io.EOF)
		}
		if s.ctx.Err() != nil {
			return nil, s.fail(toError(s.ctx.Err(), "WatchEvents"))
		}
		var err *Error
		ended := false
		if s.currentCall() == nil {
			if openErr := s.open(); openErr != nil {
				err, ended = toError(openErr, "WatchEvents"), true
			}
		}
		if !ended {
			err, ended = s.read()
		}
		if !ended {
			continue
		}
		if s.isClosed() {
			return nil, s.fail(io.EOF)
		}
		if s.ctx.Err() != nil {
			return nil, s.fail(toError(s.ctx.Err(), "WatchEvents"))
		}
		delay, again := time.Duration(0), false
		if !s.opts.NoReconnect {
			delay, again = s.retry.delay(err)
		}
		if !again {
			if err == nil {
				err = newError(codes.Unavailable, "", nil, "the event stream ended", "WatchEvents")
			}
			return nil, s.fail(err)
		}
		if !sleep(s.ctx, delay) {
			continue // Closed or ended: said at the top.
		}
		s.mu.Lock()
		s.reconnects++
		s.mu.Unlock()
	}
}

// Recv is Next.
func (s *EventStream) Recv() (*pb.Event, error) { return s.Next() }

// Close ends the stream; a Next waiting in another goroutine returns
// io.EOF.
func (s *EventStream) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.client.untrack(s)
}

// LastSequence returns the sequence of the last event Next returned (what
// a resume starts after).
func (s *EventStream) LastSequence() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Ack returns the acknowledgement of the current connection (nil before it
// came).
func (s *EventStream) Ack() *pb.WatchAck {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ack
}

// Progress returns the last progress message (nil if none came).
func (s *EventStream) Progress() *pb.WatchProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress
}

// Reconnects returns how often the stream resumed.
func (s *EventStream) Reconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reconnects
}

func (s *EventStream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *EventStream) currentCall() pb.GatewayService_WatchEventsClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.call
}

// fail ends the stream for good with err.
func (s *EventStream) fail(err error) error {
	s.err = err
	s.mu.Lock()
	if s.callCancel != nil {
		s.callCancel()
		s.call, s.callCancel = nil, nil
	}
	s.mu.Unlock()
	s.cancel()
	s.client.untrack(s)
	return err
}

// open starts a WatchEvents call after the last event returned.
func (s *EventStream) open() error {
	s.mu.Lock()
	request := &pb.WatchEventsRequest{
		SessionId:          s.client.sessionID,
		AfterSequence:      s.last,
		EndpointId:         s.opts.EndpointID,
		ProgressIntervalMs: s.client.progressIntervalMs(s.opts.ProgressInterval),
		// only_new holds until a stream has said where "new" starts.
		OnlyNew: s.opts.OnlyNew && !s.acked,
	}
	var callOptions []grpc.CallOption
	if s.reconnects > 0 {
		// A resume waits for the service to come back rather than failing.
		callOptions = append(callOptions, grpc.WaitForReady(true))
	}
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(s.ctx)
	call, err := s.client.raw.WatchEvents(ctx, request, callOptions...)
	if err != nil {
		cancel()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		return context.Canceled
	}
	s.call, s.callCancel, s.ack = call, cancel, nil
	return nil
}

// read reads one response of the current call. ended says the call has
// ended, with err (nil: it ended OK).
func (s *EventStream) read() (err *Error, ended bool) {
	call := s.currentCall()
	response, recvErr := call.Recv()
	if recvErr == nil {
		switch kind := response.GetKind().(type) {
		case *pb.WatchEventsResponse_Ack:
			s.mu.Lock()
			s.ack = kind.Ack
			if s.opts.OnlyNew && !s.acked {
				s.last = kind.Ack.GetAfterSequence()
			}
			s.mu.Unlock()
			s.acked = true
			s.retry.connected()
		case *pb.WatchEventsResponse_Events:
			s.pending = append(s.pending, kind.Events.GetEvents()...)
		case *pb.WatchEventsResponse_Progress:
			s.mu.Lock()
			s.progress = kind.Progress
			s.mu.Unlock()
		}
		return nil, false
	}
	s.mu.Lock()
	if s.callCancel != nil {
		s.callCancel()
	}
	s.call, s.callCancel = nil, nil
	s.mu.Unlock()
	if recvErr == io.EOF {
		return nil, true
	}
	return toError(recvErr, "WatchEvents"), true
}

// EventKind returns the name of what an event is, the field of its kind
// that is set: "association_change", "peer_address_change",
// "send_failed", ...; "" if none is.
func EventKind(event *pb.Event) string {
	message := event.ProtoReflect()
	field := message.WhichOneof(message.Descriptor().Oneofs().ByName("kind"))
	if field == nil {
		return ""
	}
	return string(field.Name())
}
