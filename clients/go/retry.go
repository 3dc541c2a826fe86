package sctpgw

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
)

const (
	// A unary call answered HANDED_OVER is made again, waiting for the new
	// process, within its deadline: after 20 ms, doubling up to 200 ms.
	firstHandoverRetry = 20 * time.Millisecond
	maxHandoverRetry   = 200 * time.Millisecond
	// A broken event or receive stream reconnects after 100 ms, doubling up
	// to 5 s (back to 100 ms once a stream is up again); after HANDED_OVER
	// at once.
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// transient holds the codes on which a stream is opened again rather than
// ended with an error: the service went away (restart, handover, network),
// not the request.
var transient = map[codes.Code]bool{
	codes.Unavailable: true,
	codes.Canceled:    true,
	codes.Unknown:     true,
	codes.Internal:    true,
	codes.Aborted:     true,
}

// unaryRetry says when to make a unary call again: answered HANDED_OVER (a
// new sctpgw process took over; the call did nothing more than its error
// says), or CANCELLED on a retry (the old process closing its connections),
// while the deadline leaves time.
type unaryRetry struct {
	backoff  time.Duration
	retrying bool
}

// delay returns how long to wait before the next attempt, or false to give
// up with err.
func (r *unaryRetry) delay(ctx context.Context, err *Error) (time.Duration, bool) {
	again := err.HandedOver() || (r.retrying && err.Code == codes.Canceled && ctx.Err() == nil)
	if !again {
		return 0, false
	}
	if r.backoff == 0 {
		r.backoff = firstHandoverRetry
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Add(r.backoff).Before(deadline) {
		return 0, false
	}
	delay := r.backoff
	r.backoff *= 2
	if r.backoff > maxHandoverRetry {
		r.backoff = maxHandoverRetry
	}
	r.retrying = true
	return delay, true
}

// streamRetry says when a long-lived stream (events, received messages) is
// opened again.
type streamRetry struct {
	backoff     time.Duration
	handingOver bool
}

// connected resets the backoff once a stream is up.
func (r *streamRetry) connected() {
	r.backoff = firstBackoff
}

// delay returns how long to wait before reopening after err (nil: the
// stream ended without one), or false when the error is final.
func (r *streamRetry) delay(err *Error) (time.Duration, bool) {
	if err != nil && !transient[err.Code] {
		return 0, false
	}
	// A handover is brief; its CANCELLED is the old process closing.
	r.handingOver = err != nil && (err.HandedOver() || (r.handingOver && err.Code == codes.Canceled))
	if r.handingOver {
		return firstHandoverRetry, true
	}
	if r.backoff == 0 {
		r.backoff = firstBackoff
	}
	delay := r.backoff
	r.backoff *= 2
	if r.backoff > maxBackoff {
		r.backoff = maxBackoff
	}
	return delay, true
}

// sleep waits for d or until ctx ends; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
