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

// ReceiveStreamOptions say what a ReceiveStream receives.
type ReceiveStreamOptions struct {
	// AssociationID: the messages of one association; else EndpointID:
	// those of any association of the endpoint.
	AssociationID uint64
	EndpointID    uint64
	// MaxMessages and MaxBytes bound each response, as in Receive.
	MaxMessages uint32
	MaxBytes    uint32
	// NoReconnect ends the stream with the error that broke it instead of
	// opening it again.
	NoReconnect bool
	// MaxMessageBytes bounds a message that Next joins from pieces; 0 =
	// DefaultMaxJoinedBytes.
	MaxMessageBytes int
}

// ReceiveStream is the messages of one association, or of any association
// of an endpoint, pushed as they arrive (ReceiveStream), for one
// goroutine: Recv returns them as sctpgw sends them, Next one whole
// message at a time with pieces joined. A stream broken by the service
// (restart, handover, the connection) is opened again. While open it keeps
// a session in connection liveness alive.
//
// A stream reopened after a break does not know what sctpgw wrote to the
// broken one: a response written to a connection that then failed is lost
// with it (docs/api.md, "Model").
type ReceiveStream struct {
	client  *Client
	request *pb.ReceiveRequest
	opts    ReceiveStreamOptions
	ctx     context.Context
	cancel  context.CancelFunc
	retry   streamRetry

	// Touched by Recv and Next only.
	err      error
	buffered []*pb.InboundMessage
	joiner   MessageJoiner
	retried  bool

	mu         sync.Mutex
	call       pb.GatewayService_ReceiveStreamClient
	closed     bool
	reconnects int
}

// ReceiveStream returns a stream of received messages. It lives until ctx
// ends (its deadline, if any, bounds the whole stream; none is added), or
// Close, or the client's Close.
func (c *Client) ReceiveStream(ctx context.Context, opts ReceiveStreamOptions) *ReceiveStream {
	if ctx == nil {
		ctx = context.Background()
	}
	request := &pb.ReceiveRequest{SessionId: c.sessionID, MaxMessages: opts.MaxMessages, MaxBytes: opts.MaxBytes}
	if opts.AssociationID != 0 {
		request.Target = &pb.ReceiveRequest_AssociationId{AssociationId: opts.AssociationID}
	} else {
		request.Target = &pb.ReceiveRequest_EndpointId{EndpointId: opts.EndpointID}
	}
	r := &ReceiveStream{client: c, request: request, opts: opts}
	r.joiner.MaxMessageBytes = opts.MaxMessageBytes
	r.ctx, r.cancel = context.WithCancel(ctx)
	if !c.track(r) {
		r.Close() // Recv says io.EOF.
	}
	return r
}

// Recv returns the next messages (at least one), in arrival order, waiting
// for them. It returns io.EOF when the association has ended and its every
// message was delivered, or once the stream was closed; an *Error for what
// reopening cannot cure (NOT_FOUND, INVALID_ARGUMENT, DEADLINE_EXCEEDED or
// CANCELLED when the context ended). Every call after such an end returns
// the same error.
func (r *ReceiveStream) Recv() ([]*pb.InboundMessage, error) {
	for {
		if r.err != nil {
			return nil, r.err
		}
		if r.isClosed() {
			return nil, r.fail(io.EOF)
		}
		if r.ctx.Err() != nil {
			return nil, r.fail(toError(r.ctx.Err(), "ReceiveStream"))
		}
		var err *Error
		call, openErr := r.open()
		if openErr == nil {
			response, recvErr := call.Recv()
			if recvErr == nil {
				r.retry.connected()
				return response.GetMessages(), nil
			}
			r.mu.Lock()
			r.call = nil
			r.mu.Unlock()
			if recvErr == io.EOF {
				return nil, r.fail(io.EOF)
			}
			err = toError(recvErr, "ReceiveStream")
		} else {
			err = toError(openErr, "ReceiveStream")
		}
		if r.isClosed() {
			return nil, r.fail(io.EOF)
		}
		if r.ctx.Err() != nil {
			return nil, r.fail(toError(r.ctx.Err(), "ReceiveStream"))
		}
		delay, again := time.Duration(0), false
		if !r.opts.NoReconnect {
			delay, again = r.retry.delay(err)
		}
		if !again {
			return nil, r.fail(err)
		}
		if sleep(r.ctx, delay) {
			r.retried = true
			r.mu.Lock()
			r.reconnects++
			r.mu.Unlock()
		}
	}
}

// Next returns the next whole message: pieces of a message above sctpgw's
// max_message_bytes joined (MessageJoiner). Its errors are Recv's, and
// those of the joiner (*IncompleteMessageError, *MessageTooLargeError),
// after which it goes on with the next message.
func (r *ReceiveStream) Next() (*pb.InboundMessage, error) {
	for {
		for len(r.buffered) > 0 {
			piece := r.buffered[0]
			r.buffered[0] = nil
			r.buffered = r.buffered[1:]
			whole, err := r.joiner.Add(piece)
			if err != nil || whole != nil {
				return whole, err
			}
		}
		messages, err := r.Recv()
		if err != nil {
			return nil, err
		}
		r.buffered = messages
	}
}

// Close ends the stream; a Recv waiting in another goroutine returns
// io.EOF.
func (r *ReceiveStream) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.client.untrack(r)
}

// Reconnects returns how often the stream was opened again.
func (r *ReceiveStream) Reconnects() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reconnects
}

func (r *ReceiveStream) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// open returns the current call, making one if there is none.
func (r *ReceiveStream) open() (pb.GatewayService_ReceiveStreamClient, error) {
	r.mu.Lock()
	call := r.call
	r.mu.Unlock()
	if call != nil {
		return call, nil
	}
	var callOptions []grpc.CallOption
	if r.retried {
		callOptions = append(callOptions, grpc.WaitForReady(true))
	}
	call, err := r.client.raw.ReceiveStream(r.ctx, r.request, callOptions...)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.call = call
	r.mu.Unlock()
	return call, nil
}

func (r *ReceiveStream) fail(err error) error {
	r.err = err
	r.cancel()
	r.client.untrack(r)
	return err
}

// SendStream sends batches in order on one long-lived SendStream call, for
// high rates; one goroutine writes. Send blocks while sctpgw pushes back
// (gRPC's flow control); Finish says no more come and returns the totals or
// the first error.
//
//	stream, err := client.SendStream(ctx, associationID)
//	for _, batch := range batches {
//		if err := stream.Send(batch...); err != nil { ... }
//	}
//	totals, err := stream.Finish()
type SendStream struct {
	client        *Client
	associationID uint64
	call          pb.GatewayService_SendStreamClient
	cancel        context.CancelFunc
	done          chan struct{} // closed when the responses end
	finished      bool

	mu        sync.Mutex
	totals    *pb.SendStreamResponse
	err       *Error
	cancelled bool
}

// SendStream opens a send stream whose Send goes to associationID (SendTo
// names another). ctx is the stream's life: its deadline, if any, bounds
// the whole stream (none is added).
func (c *Client) SendStream(ctx context.Context, associationID uint64) (*SendStream, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	call, err := c.raw.SendStream(ctx)
	if err != nil {
		cancel()
		return nil, toError(err, "SendStream")
	}
	s := &SendStream{client: c, associationID: associationID, call: call, cancel: cancel,
		done: make(chan struct{}), totals: &pb.SendStreamResponse{}}
	if !c.track(s) {
		cancel()
		return nil, errClosed("SendStream")
	}
	go s.read()
	return s, nil
}

// read takes the responses: the totals so far, then the stream's end.
func (s *SendStream) read() {
	defer close(s.done)
	for {
		response, err := s.call.Recv()
		s.mu.Lock()
		if err == nil {
			s.totals = response
		} else if err != io.EOF && !s.cancelled {
			s.err = toError(err, "SendStream")
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Send queues a batch for the stream's association after every earlier
// one (at most the service's per-call limit of messages); it blocks while
// sctpgw pushes back. It returns the error that ended the stream, if it
// has ended.
func (s *SendStream) Send(messages ...*pb.OutboundMessage) error {
	return s.SendTo(s.associationID, messages...)
}

// SendTo is Send to another association of the session.
func (s *SendStream) SendTo(associationID uint64, messages ...*pb.OutboundMessage) error {
	if s.finished {
		return newError(codes.FailedPrecondition, "", nil, "the stream is finished", "SendStream")
	}
	err := s.call.Send(&pb.SendRequest{SessionId: s.client.sessionID, AssociationId: associationID, Messages: messages})
	if err == nil {
		return nil
	}
	// The stream has ended; its status comes with the responses.
	<-s.done
	return s.endedError()
}

// Finish says no more batches come, waits until sctpgw has done every one
// and returns the totals (completed_requests, accepted_messages), or the
// first error (its metadata completed_requests: the requests fully sent
// before it).
func (s *SendStream) Finish() (*pb.SendStreamResponse, error) {
	if !s.finished {
		s.finished = true
		s.call.CloseSend()
	}
	<-s.done
	s.client.untrack(s)
	s.mu.Lock()
	failed, cancelled, totals := s.err, s.cancelled, s.totals
	s.mu.Unlock()
	if failed != nil || cancelled {
		return totals, s.endedError()
	}
	return totals, nil
}

// Totals returns the last totals sctpgw acknowledged.
func (s *SendStream) Totals() *pb.SendStreamResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals
}

// Close abandons the stream: requests not yet handed to the kernel are
// dropped.
func (s *SendStream) Close() {
	s.mu.Lock()
	s.cancelled = true
	s.mu.Unlock()
	s.cancel()
	s.client.untrack(s)
}

func (s *SendStream) endedError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.cancelled {
		return newError(codes.Canceled, "", nil, "the stream was cancelled", "SendStream")
	}
	return newError(codes.Unavailable, "", nil, "the stream ended before its requests were sent", "SendStream")
}

// CaptureOptions say what a capture copies: one association, every
// association of one endpoint, or (neither given) every association of the
// session.
type CaptureOptions struct {
	AssociationID uint64
	EndpointID    uint64
	// SnapBytes: payload bytes kept of each message (0: all).
	SnapBytes uint32
	// BufferMessages: messages that may wait for the stream before later
	// ones are dropped and counted (0: 4096).
	BufferMessages uint32
}

// CaptureStream is a Capture call: copies of the messages that pass over
// the session's associations, both ways.
type CaptureStream struct {
	call   pb.GatewayService_CaptureClient
	cancel context.CancelFunc
	client *Client
}

// Capture opens a capture; ctx is its life. The first response Recv
// returns is empty: the capture is in force from then on.
func (c *Client) Capture(ctx context.Context, opts *CaptureOptions) (*CaptureStream, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts == nil {
		opts = &CaptureOptions{}
	}
	request := &pb.CaptureRequest{SessionId: c.sessionID, SnapBytes: opts.SnapBytes, BufferMessages: opts.BufferMessages}
	if opts.AssociationID != 0 {
		request.Target = &pb.CaptureRequest_AssociationId{AssociationId: opts.AssociationID}
	} else if opts.EndpointID != 0 {
		request.Target = &pb.CaptureRequest_EndpointId{EndpointId: opts.EndpointID}
	}
	ctx, cancel := context.WithCancel(ctx)
	call, err := c.raw.Capture(ctx, request)
	if err != nil {
		cancel()
		return nil, toError(err, "Capture")
	}
	s := &CaptureStream{call: call, cancel: cancel, client: c}
	if !c.track(s) {
		cancel()
		return nil, errClosed("Capture")
	}
	return s, nil
}

// Recv returns the next captured messages, with how many were dropped just
// before them; io.EOF at the stream's end.
func (s *CaptureStream) Recv() (*pb.CaptureResponse, error) {
	response, err := s.call.Recv()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, toError(err, "Capture")
	}
	return response, nil
}

// Close ends the capture.
func (s *CaptureStream) Close() {
	s.cancel()
	s.client.untrack(s)
}
