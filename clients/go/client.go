package sctpgw

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	pb "sctpgw.dev/proto/sctpgw/v1"
)

const (
	// DefaultTarget is sctpgw's socket where a package installs it.
	DefaultTarget = "unix:/run/sctpgw/sctpgw.sock"
	// DefaultTimeout is the deadline of a call whose context has none.
	DefaultTimeout = 10 * time.Second
	// DefaultClientName names the session in sctpgw's logs unless
	// WithClientName says otherwise.
	DefaultClientName = "sctpgw-go"
	// maxReceiveMessageBytes: a Receive response carries up to 4 MiB of
	// payload (max_bytes) plus its framing.
	maxReceiveMessageBytes = 8 << 20
)

// Client is one application's session with sctpgw: Dial opens it, Close
// ends it. Its methods may be called from several goroutines at once; each
// stream it returns is read (or written) by one goroutine at a time.
//
// Every call takes a context: its deadline bounds the call, and a context
// without one gets the client's default timeout (WithTimeout, else
// DefaultTimeout). Failures are *Error values carrying sctpgw's code,
// reason and metadata. A call answered UNAVAILABLE / HANDED_OVER (a new
// sctpgw process took over) is made again within its deadline.
type Client struct {
	conn         *grpc.ClientConn
	ownConn      bool
	raw          pb.GatewayServiceClient
	sessionID    string
	timeout      time.Duration
	closeSession bool

	mu       sync.Mutex
	lease    time.Duration
	liveness pb.SessionLiveness
	// lastRenewal is when the last call that renewed the lease in
	// application liveness was made (OpenSession, RenewLease).
	lastRenewal time.Time
	streams     map[closer]struct{}
	closed      bool
}

// closer is what the client ends on Close: the streams it opened.
type closer interface {
	Close()
}

type options struct {
	credentials credentials.TransportCredentials
	clientName  string
	lease       time.Duration
	liveness    pb.SessionLiveness
	sessionID   string
	timeout     time.Duration
	dialOptions []grpc.DialOption
	conn        *grpc.ClientConn
	keepSession bool
}

// Option configures Dial.
type Option func(*options)

// WithCredentials sets the transport credentials (TLS, mutual TLS);
// plaintext without.
func WithCredentials(creds credentials.TransportCredentials) Option {
	return func(o *options) { o.credentials = creds }
}

// WithClientName names the session in sctpgw's logs (at most 64 bytes).
func WithClientName(name string) Option {
	return func(o *options) { o.clientName = name }
}

// WithLease asks for a lease; the service chooses within its bounds
// (Client.Lease says what it chose). 0: the service's default (30 s).
func WithLease(lease time.Duration) Option {
	return func(o *options) { o.lease = lease }
}

// WithLiveness says what keeps the session alive: SESSION_LIVENESS_CONNECTION
// (the default: an open event or receive stream, or calls within the lease)
// or SESSION_LIVENESS_APPLICATION (only RenewLease, which the event stream's
// Next calls; see EventStream).
func WithLiveness(liveness pb.SessionLiveness) Option {
	return func(o *options) { o.liveness = liveness }
}

// WithApplicationLiveness is WithLiveness(SESSION_LIVENESS_APPLICATION): the
// session lives while the goroutine that handles its events keeps calling
// EventStream.Next, so that a hung application loses its associations like
// a dead one.
func WithApplicationLiveness() Option {
	return WithLiveness(pb.SessionLiveness_SESSION_LIVENESS_APPLICATION)
}

// WithSession attaches to an existing session (e.g. after a restart, within
// its lease) instead of opening one.
func WithSession(sessionID string) Option {
	return func(o *options) { o.sessionID = sessionID }
}

// WithTimeout sets the deadline of calls whose context has none (default
// DefaultTimeout).
func WithTimeout(timeout time.Duration) Option {
	return func(o *options) { o.timeout = timeout }
}

// WithDialOptions adds gRPC dial options after the client's own (keepalive
// as sctpgw expects, an 8 MiB receive limit, the credentials), so they win.
func WithDialOptions(dialOptions ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, dialOptions...) }
}

// WithConn uses an existing connection instead of dialing; Close leaves it
// open.
func WithConn(conn *grpc.ClientConn) Option {
	return func(o *options) { o.conn = conn }
}

// WithKeepSession makes Close leave the session to its lease (for a later
// attach with WithSession) instead of ending it.
func WithKeepSession() Option {
	return func(o *options) { o.keepSession = true }
}

// DialOptions returns the gRPC dial options the client uses: the keepalive
// settings sctpgw expects (docs/api.md, "Sessions": pings every 10 s,
// answered within 5 s, also without calls in flight), an 8 MiB receive
// limit, and the credentials (plaintext if nil).
func DialOptions(creds credentials.TransportCredentials) []grpc.DialOption {
	dialOptions := []grpc.DialOption{
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                10 * time.Second,
			Timeout:             5 * time.Second,
			PermitWithoutStream: true,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxReceiveMessageBytes)),
	}
	if creds != nil {
		return append(dialOptions, grpc.WithTransportCredentials(creds))
	}
	return append(dialOptions, grpc.WithInsecure())
}

// Dial connects to sctpgw at target ("unix:/run/sctpgw/sctpgw.sock",
// "unix:///path", or "host:port") and opens a session (OpenSession), or
// attaches to the one WithSession names. The context bounds OpenSession
// (the default timeout if it has no deadline); the connection itself is
// made in the background and remade after a failure.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	o := options{clientName: DefaultClientName, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{
		conn:         o.conn,
		sessionID:    o.sessionID,
		timeout:      o.timeout,
		closeSession: !o.keepSession,
		liveness:     o.liveness,
		streams:      map[closer]struct{}{},
	}
	if c.conn == nil {
		conn, err := grpc.Dial(target, append(DialOptions(o.credentials), o.dialOptions...)...)
		if err != nil {
			return nil, toError(err, "Dial")
		}
		c.conn, c.ownConn = conn, true
	}
	c.raw = pb.NewGatewayServiceClient(c.conn)
	if err := c.openSession(ctx, o); err != nil {
		if c.ownConn {
			c.conn.Close()
		}
		return nil, err
	}
	return c, nil
}

func (c *Client) openSession(ctx context.Context, o options) error {
	if o.sessionID != "" {
		// Attached in application liveness: renew at once, which also
		// says whether the session is there and what its lease is.
		if c.applicationLiveness() {
			_, err := c.RenewLease(ctx, 0)
			return err
		}
		return nil
	}
	began := time.Now()
	response, err := unary(c, ctx, "OpenSession", &pb.OpenSessionRequest{
		RequestedLeaseMs: uint32(o.lease / time.Millisecond),
		ClientName:       o.clientName,
		Liveness:         o.liveness,
	}, c.raw.OpenSession)
	if err != nil {
		return err
	}
	c.sessionID = response.GetSessionId()
	c.mu.Lock()
	c.lease = time.Duration(response.GetLeaseMs()) * time.Millisecond
	// A service that predates liveness answers UNSPECIFIED: connection.
	c.liveness = response.GetLiveness()
	if c.liveness == pb.SessionLiveness_SESSION_LIVENESS_UNSPECIFIED {
		c.liveness = pb.SessionLiveness_SESSION_LIVENESS_CONNECTION
	}
	c.lastRenewal = began
	c.mu.Unlock()
	return nil
}

// SessionID returns the session's id: keep it to attach again after a
// restart (WithSession); treat it as a secret.
func (c *Client) SessionID() string { return c.sessionID }

// Lease returns the lease the service chose (0 when attached and not yet
// told).
func (c *Client) Lease() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lease
}

// Liveness returns what keeps the session alive, as the service said (as
// asked, when attached and not yet told).
func (c *Client) Liveness() pb.SessionLiveness {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.liveness
}

// Timeout returns the deadline of calls whose context has none.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Raw returns the generated client, for anything this type does not wrap.
// Its calls need the session id (SessionID) in their requests and a
// deadline of their own; FromError decodes their errors.
func (c *Client) Raw() pb.GatewayServiceClient { return c.raw }

// Conn returns the gRPC connection (e.g. for the standard health service).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close ends the streams this client opened, ends the session (unless
// WithKeepSession; one already gone is no error) and closes the connection
// (unless it came from WithConn). CloseSession gets the default timeout.
func (c *Client) Close() error {
	return c.CloseContext(context.Background())
}

// CloseContext is Close with a context bounding CloseSession.
func (c *Client) CloseContext(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	streams := make([]closer, 0, len(c.streams))
	for stream := range c.streams {
		streams = append(streams, stream)
	}
	c.mu.Unlock()
	for _, stream := range streams {
		stream.Close()
	}
	var err error
	if c.closeSession && c.sessionID != "" {
		_, err = unary(c, ctx, "CloseSession", &pb.CloseSessionRequest{SessionId: c.sessionID},
			c.raw.CloseSession)
		if IsReason(err, "SESSION_NOT_FOUND") {
			err = nil
		}
	}
	if c.ownConn {
		c.conn.Close()
	}
	return err
}

// track notes a stream to end on Close; false if the client is closed
// already (the stream is then to end at once).
func (c *Client) track(stream closer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.streams[stream] = struct{}{}
	return true
}

// errClosed is the error of a stream opened on a closed client.
func errClosed(call string) *Error {
	return newError(codes.Canceled, "", nil, "the client is closed", call)
}

func (c *Client) untrack(stream closer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.streams, stream)
}

// withDeadline gives ctx the default timeout if it has no deadline.
func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// call makes one unary call (attempt, given the call options of each
// try) within the context's deadline, again after HANDED_OVER; onError, if
// not nil, sees every failed attempt's error.
func (c *Client) call(ctx context.Context, name string,
	attempt func(ctx context.Context, opts ...grpc.CallOption) error, onError func(*Error)) error {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var retry unaryRetry
	for {
		var callOptions []grpc.CallOption
		if retry.retrying {
			// Wait for the new process rather than fail at once.
			callOptions = append(callOptions, grpc.WaitForReady(true))
		}
		err := attempt(ctx, callOptions...)
		if err == nil {
			return nil
		}
		e := toError(err, name)
		if onError != nil {
			onError(e)
		}
		delay, again := retry.delay(ctx, e)
		if !again || !sleep(ctx, delay) {
			return e
		}
	}
}

// unary makes the call of a generated method with a fixed request.
func unary[Request, Response any](c *Client, ctx context.Context, name string, request Request,
	method func(context.Context, Request, ...grpc.CallOption) (Response, error)) (Response, error) {
	var response Response
	err := c.call(ctx, name, func(ctx context.Context, opts ...grpc.CallOption) error {
		var err error
		response, err = method(ctx, request, opts...)
		return err
	}, nil)
	return response, err
}

// applicationLiveness reports whether only RenewLease keeps the session.
func (c *Client) applicationLiveness() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.liveness == pb.SessionLiveness_SESSION_LIVENESS_APPLICATION
}

// renewalInterval is how often the lease is renewed in application
// liveness: a third of the lease (at once while it is unknown).
func (c *Client) renewalInterval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lease / 3
}

// RenewLease renews the session's lease (RenewLease), saying the last
// event sequence the application has handled (0 if none). In application
// liveness (WithApplicationLiveness) nothing else renews it: an
// EventStream's Next calls it when a renewal is due, and an application
// that reads no events calls it itself, more often than once per lease.
func (c *Client) RenewLease(ctx context.Context, handledSequence uint64) (*pb.RenewLeaseResponse, error) {
	began := time.Now()
	response, err := unary(c, ctx, "RenewLease", &pb.RenewLeaseRequest{
		SessionId: c.sessionID, HandledSequence: handledSequence}, c.raw.RenewLease)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if response.GetLeaseMs() > 0 {
		c.lease = time.Duration(response.GetLeaseMs()) * time.Millisecond
	}
	if response.GetLiveness() != pb.SessionLiveness_SESSION_LIVENESS_UNSPECIFIED {
		c.liveness = response.GetLiveness()
	}
	if began.After(c.lastRenewal) {
		c.lastRenewal = began
	}
	c.mu.Unlock()
	return response, nil
}

// renewIfDue renews the lease in application liveness when a third of it
// has passed since the last renewal. Only SESSION_NOT_FOUND is returned:
// the session is gone. Any other failure is tried again at the next
// chance, which comes well within the lease.
func (c *Client) renewIfDue(ctx context.Context, handledSequence uint64) error {
	c.mu.Lock()
	due := c.liveness == pb.SessionLiveness_SESSION_LIVENESS_APPLICATION &&
		(c.lease == 0 || c.lastRenewal.IsZero() || time.Since(c.lastRenewal) >= c.lease/3)
	c.mu.Unlock()
	if !due {
		return nil
	}
	_, err := c.RenewLease(ctx, handledSequence)
	if IsReason(err, "SESSION_NOT_FOUND") {
		return err
	}
	return nil
}

// progressIntervalMs is the progress_interval_ms an event stream asks for:
// in application liveness at most a third of the lease (at least 1 s, the
// service's minimum), so that progress messages wake an idle Next in time
// to renew; else what was asked (0: the service's default, 10 s).
func (c *Client) progressIntervalMs(asked time.Duration) uint32 {
	interval := asked
	if c.applicationLiveness() {
		due := c.renewalInterval()
		if due < time.Second {
			due = time.Second
		}
		if interval <= 0 || interval > due {
			interval = due
		}
	}
	if interval <= 0 {
		return 0
	}
	if interval < time.Second {
		interval = time.Second
	}
	if interval > time.Hour {
		interval = time.Hour
	}
	return uint32(interval / time.Millisecond)
}
