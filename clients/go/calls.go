package sctpgw

import (
	"context"
	"sort"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pb "sctpgw.dev/proto/sctpgw/v1"
)

// EndpointOptions are OpenEndpoint's settings beyond the addresses and the
// port; the zero value (or nil) leaves everything at the defaults.
// docs/api.md says what each does.
type EndpointOptions struct {
	// Listen accepts incoming associations (each appears as a COMM_UP
	// event); Backlog is the listen backlog (0 = 128).
	Listen  bool
	Backlog uint32
	// Streams sets the outbound and maximum inbound stream counts that
	// Init leaves at 0.
	Streams uint32
	Init    *pb.InitOptions
	// PathParameters: timers and thresholds of the associations.
	PathParameters *pb.PathParameters
	// AddressReconfiguration offers ASCONF (RFC 5061) to peers.
	AddressReconfiguration bool
	// UDPEncapsulationPort: the peer's UDP port for SCTP over UDP (RFC
	// 6951); 0 = directly over IP.
	UDPEncapsulationPort  uint32
	StreamReconfiguration *pb.StreamReconfiguration
	Interleaving          bool
	StreamScheduler       pb.StreamScheduler
	Auth                  *pb.AuthOptions
	SocketSettings        *pb.SocketSettings
	OversizedMessages     pb.OversizedMessages
}

// AssociateOptions are Associate's settings beyond the peer; nil leaves
// the endpoint's.
type AssociateOptions struct {
	// Streams sets the outbound and maximum inbound stream counts that
	// Init leaves at 0.
	Streams uint32
	// Init: INIT parameters; zero fields take the endpoint's.
	Init *pb.InitOptions
}

// ReceiveOptions bound what one Receive returns; nil: sctpgw's defaults
// (64 messages, 1 MiB).
type ReceiveOptions struct {
	// MaxMessages: 0..1024, 0 = 64.
	MaxMessages uint32
	// MaxBytes: 0..4 MiB, 0 = 1 MiB (always at least one message).
	MaxBytes uint32
}

// initOptions returns init with streams as the stream counts it leaves at
// 0; nil if neither is given.
func initOptions(streams uint32, init *pb.InitOptions) *pb.InitOptions {
	if init == nil && streams == 0 {
		return nil
	}
	options := &pb.InitOptions{}
	if init != nil {
		options = proto.Clone(init).(*pb.InitOptions)
	}
	if options.OutboundStreams == 0 {
		options.OutboundStreams = streams
	}
	if options.MaxInboundStreams == 0 {
		options.MaxInboundStreams = streams
	}
	return options
}

// OpenEndpoint opens an endpoint bound to localAddresses (numeric; one, or
// several for multi-homing; "0.0.0.0" or "::" for every address) and port
// (0: the kernel chooses), and returns it with the port chosen and the
// socket settings as the kernel has them.
func (c *Client) OpenEndpoint(ctx context.Context, localAddresses []string, port uint32,
	opts *EndpointOptions) (*pb.Endpoint, error) {
	if opts == nil {
		opts = &EndpointOptions{}
	}
	request := &pb.OpenEndpointRequest{
		SessionId:              c.sessionID,
		LocalAddresses:         localAddresses,
		Port:                   port,
		Listen:                 opts.Listen,
		Backlog:                opts.Backlog,
		Init:                   initOptions(opts.Streams, opts.Init),
		PathParameters:         opts.PathParameters,
		AddressReconfiguration: opts.AddressReconfiguration,
		UdpEncapsulationPort:   opts.UDPEncapsulationPort,
		StreamReconfiguration:  opts.StreamReconfiguration,
		Interleaving:           opts.Interleaving,
		StreamScheduler:        opts.StreamScheduler,
		Auth:                   opts.Auth,
		SocketSettings:         opts.SocketSettings,
		OversizedMessages:      opts.OversizedMessages,
	}
	response, err := unary(c, ctx, "OpenEndpoint", request, c.raw.OpenEndpoint)
	return response.GetEndpoint(), err
}

// CloseEndpoint closes an endpoint and its associations: gracefully, or by
// ABORT.
func (c *Client) CloseEndpoint(ctx context.Context, endpointID uint64, abort bool) error {
	_, err := unary(c, ctx, "CloseEndpoint", &pb.CloseEndpointRequest{
		SessionId: c.sessionID, EndpointId: endpointID, Abort: abort}, c.raw.CloseEndpoint)
	return err
}

// ListEndpoints returns the session's endpoints, every page (each page
// its own call; a context without a deadline gives each the default
// timeout).
func (c *Client) ListEndpoints(ctx context.Context) ([]*pb.Endpoint, error) {
	var endpoints []*pb.Endpoint
	token := ""
	for {
		response, err := unary(c, ctx, "ListEndpoints", &pb.ListEndpointsRequest{
			SessionId: c.sessionID, PageToken: token}, c.raw.ListEndpoints)
		if err != nil {
			return nil, err
		}
		endpoints = append(endpoints, response.GetEndpoints()...)
		if token = response.GetNextPageToken(); token == "" {
			return endpoints, nil
		}
	}
}

// UpdateEndpointAddresses adds and removes local addresses of a live
// endpoint and returns it as it is then.
func (c *Client) UpdateEndpointAddresses(ctx context.Context, endpointID uint64,
	add, remove []string) (*pb.Endpoint, error) {
	response, err := unary(c, ctx, "UpdateEndpointAddresses", &pb.UpdateEndpointAddressesRequest{
		SessionId: c.sessionID, EndpointId: endpointID, AddAddresses: add, RemoveAddresses: remove,
	}, c.raw.UpdateEndpointAddresses)
	return response.GetEndpoint(), err
}

// Associate sets up an association from an endpoint to a peer (numeric
// addresses: one, or several for a multi-homed peer; and its port) and
// returns it once it is up. It fails with UNAVAILABLE / ASSOCIATE_FAILED
// when the peer refuses or cannot be reached; when the deadline passes
// first, nothing is left behind.
func (c *Client) Associate(ctx context.Context, endpointID uint64, peerAddresses []string,
	peerPort uint32, opts *AssociateOptions) (*pb.Association, error) {
	if opts == nil {
		opts = &AssociateOptions{}
	}
	response, err := unary(c, ctx, "Associate", &pb.AssociateRequest{
		SessionId:     c.sessionID,
		EndpointId:    endpointID,
		PeerAddresses: peerAddresses,
		PeerPort:      peerPort,
		Init:          initOptions(opts.Streams, opts.Init),
	}, c.raw.Associate)
	return response.GetAssociation(), err
}

// Send sends one message and returns once the kernel has accepted it.
// opts (nil: stream 0, PPID 0, ordered, reliable) as in Message.
func (c *Client) Send(ctx context.Context, associationID uint64, payload []byte, opts *SendOptions) error {
	_, err := c.SendBatch(ctx, associationID, []*pb.OutboundMessage{Message(payload, opts)})
	return err
}

// SendBatch sends messages in order and returns how many the kernel
// accepted: all of them. Every message is checked before any is sent.
// After HANDED_OVER only those not yet accepted are sent again; a final
// error's metadata "accepted_messages" counts what every attempt got
// accepted, so that the caller knows what not to send again.
func (c *Client) SendBatch(ctx context.Context, associationID uint64,
	messages []*pb.OutboundMessage) (int, error) {
	accepted := 0
	err := c.call(ctx, "Send", func(ctx context.Context, opts ...grpc.CallOption) error {
		response, err := c.raw.Send(ctx, &pb.SendRequest{
			SessionId: c.sessionID, AssociationId: associationID, Messages: messages[accepted:],
		}, opts...)
		if err == nil {
			accepted += int(response.GetAcceptedMessages())
		}
		return err
	}, func(e *Error) {
		taken, given := e.Metadata["accepted_messages"]
		if n, err := strconv.Atoi(taken); given && err == nil && n >= 0 {
			if n > len(messages)-accepted {
				n = len(messages) - accepted
			}
			accepted += n
		}
		if accepted > 0 || given {
			e.Metadata["accepted_messages"] = strconv.Itoa(accepted)
		}
	})
	return accepted, err
}

// Receive waits until the context's deadline (or the default timeout) for
// the next messages of an association and returns them, in arrival order.
// When none came in time it returns no messages and no error (sctpgw's
// DEADLINE_EXCEEDED: nothing is lost, they stay queued). A message above
// sctpgw's max_message_bytes comes in pieces: see MessageJoiner.
func (c *Client) Receive(ctx context.Context, associationID uint64, opts *ReceiveOptions) ([]*pb.InboundMessage, error) {
	return c.receive(ctx, &pb.ReceiveRequest{Target: &pb.ReceiveRequest_AssociationId{AssociationId: associationID}}, opts)
}

// ReceiveFromEndpoint is Receive from any association of an endpoint.
func (c *Client) ReceiveFromEndpoint(ctx context.Context, endpointID uint64, opts *ReceiveOptions) ([]*pb.InboundMessage, error) {
	return c.receive(ctx, &pb.ReceiveRequest{Target: &pb.ReceiveRequest_EndpointId{EndpointId: endpointID}}, opts)
}

func (c *Client) receive(ctx context.Context, request *pb.ReceiveRequest, opts *ReceiveOptions) ([]*pb.InboundMessage, error) {
	request.SessionId = c.sessionID
	if opts != nil {
		request.MaxMessages, request.MaxBytes = opts.MaxMessages, opts.MaxBytes
	}
	if ctx == nil {
		ctx = context.Background()
	}
	response, err := unary(c, ctx, "Receive", request, c.raw.Receive)
	if err != nil {
		// The call's own deadline, not the caller's cancellation.
		if CodeOf(err) == codes.DeadlineExceeded && ctx.Err() != context.Canceled {
			return nil, nil
		}
		return nil, err
	}
	return response.GetMessages(), nil
}

// Shutdown ends an association gracefully (the SHUTDOWN handshake; what was
// accepted is delivered first) and returns on SHUTDOWN_COMP. When the
// deadline passes first the handshake goes on in the background.
func (c *Client) Shutdown(ctx context.Context, associationID uint64) error {
	_, err := unary(c, ctx, "Shutdown", &pb.ShutdownRequest{
		SessionId: c.sessionID, AssociationId: associationID, Mode: pb.ShutdownMode_SHUTDOWN_MODE_GRACEFUL,
	}, c.raw.Shutdown)
	return err
}

// Abort ends an association by ABORT, with a reason for the peer (at most
// 256 bytes; may be empty). Undelivered messages are dropped.
func (c *Client) Abort(ctx context.Context, associationID uint64, reason string) error {
	_, err := unary(c, ctx, "Shutdown", &pb.ShutdownRequest{
		SessionId: c.sessionID, AssociationId: associationID, Mode: pb.ShutdownMode_SHUTDOWN_MODE_ABORT,
		AbortReason: reason,
	}, c.raw.Shutdown)
	return err
}

// ListAssociations returns the session's associations, of one endpoint (0:
// of all), every page.
func (c *Client) ListAssociations(ctx context.Context, endpointID uint64) ([]*pb.Association, error) {
	var associations []*pb.Association
	token := ""
	for {
		response, err := unary(c, ctx, "ListAssociations", &pb.ListAssociationsRequest{
			SessionId: c.sessionID, EndpointId: endpointID, PageToken: token}, c.raw.ListAssociations)
		if err != nil {
			return nil, err
		}
		associations = append(associations, response.GetAssociations()...)
		if token = response.GetNextPageToken(); token == "" {
			return associations, nil
		}
	}
}

// GetAssociation returns an association with its kernel status, every
// path, the timers in force, stream settings, AUTH, statistics and PR-SCTP
// counters (with streams, also those outbound streams').
func (c *Client) GetAssociation(ctx context.Context, associationID uint64, streams ...uint32) (*pb.GetAssociationResponse, error) {
	return unary(c, ctx, "GetAssociation", &pb.GetAssociationRequest{
		SessionId: c.sessionID, AssociationId: associationID, Streams: streams}, c.raw.GetAssociation)
}

// SetPrimaryPath makes one of the peer's addresses the primary path.
func (c *Client) SetPrimaryPath(ctx context.Context, associationID uint64, peerAddress string) error {
	_, err := unary(c, ctx, "SetPrimaryPath", &pb.SetPrimaryPathRequest{
		SessionId: c.sessionID, AssociationId: associationID, PeerAddress: peerAddress}, c.raw.SetPrimaryPath)
	return err
}

// RequestPeerPrimaryPath asks the peer to send to one of this side's
// addresses by preference (ASCONF SET_PRIMARY).
func (c *Client) RequestPeerPrimaryPath(ctx context.Context, associationID uint64, localAddress string) error {
	_, err := unary(c, ctx, "RequestPeerPrimaryPath", &pb.RequestPeerPrimaryPathRequest{
		SessionId: c.sessionID, AssociationId: associationID, LocalAddress: localAddress},
		c.raw.RequestPeerPrimaryPath)
	return err
}

// RequestHeartbeat sends a HEARTBEAT now to one peer address ("" : to every
// one).
func (c *Client) RequestHeartbeat(ctx context.Context, associationID uint64, peerAddress string) error {
	_, err := unary(c, ctx, "RequestHeartbeat", &pb.RequestHeartbeatRequest{
		SessionId: c.sessionID, AssociationId: associationID, PeerAddress: peerAddress}, c.raw.RequestHeartbeat)
	return err
}

// ConfigurePaths changes an association's timers and thresholds (the
// fields set in parameters), or with peerAddress one path's, and returns
// what is in force.
func (c *Client) ConfigurePaths(ctx context.Context, associationID uint64, parameters *pb.PathParameters,
	peerAddress string) (*pb.ConfigurePathsResponse, error) {
	return unary(c, ctx, "ConfigurePaths", &pb.ConfigurePathsRequest{
		SessionId: c.sessionID, AssociationId: associationID, Parameters: parameters, PeerAddress: peerAddress,
	}, c.raw.ConfigurePaths)
}

// ResetStreams resets streams (RFC 6525) in a direction; no streams: every
// one. The peer's answer is a STREAM_RESET event.
func (c *Client) ResetStreams(ctx context.Context, associationID uint64, direction pb.StreamResetDirection,
	streams ...uint32) error {
	_, err := unary(c, ctx, "ResetStreams", &pb.ResetStreamsRequest{
		SessionId: c.sessionID, AssociationId: associationID, Direction: direction, Streams: streams,
	}, c.raw.ResetStreams)
	return err
}

// ResetAssociation resets the association's TSNs and every stream (RFC 6525).
func (c *Client) ResetAssociation(ctx context.Context, associationID uint64) error {
	_, err := unary(c, ctx, "ResetAssociation", &pb.ResetAssociationRequest{
		SessionId: c.sessionID, AssociationId: associationID}, c.raw.ResetAssociation)
	return err
}

// AddStreams adds streams in each direction (RFC 6525); STREAM_CHANGE follows.
func (c *Client) AddStreams(ctx context.Context, associationID uint64, outbound, inbound uint32) error {
	_, err := unary(c, ctx, "AddStreams", &pb.AddStreamsRequest{
		SessionId: c.sessionID, AssociationId: associationID, Outbound: outbound, Inbound: inbound,
	}, c.raw.AddStreams)
	return err
}

// ConfigureStreams sets the stream scheduler (UNSPECIFIED keeps the one in
// force) and stream priorities or weights (stream to value), and returns
// what is in force.
func (c *Client) ConfigureStreams(ctx context.Context, associationID uint64, scheduler pb.StreamScheduler,
	values map[uint32]uint32) (*pb.ConfigureStreamsResponse, error) {
	streams := make([]uint32, 0, len(values))
	for stream := range values {
		streams = append(streams, stream)
	}
	sort.Slice(streams, func(i, j int) bool { return streams[i] < streams[j] })
	request := &pb.ConfigureStreamsRequest{SessionId: c.sessionID, AssociationId: associationID, Scheduler: scheduler}
	for _, stream := range streams {
		request.Values = append(request.Values, &pb.StreamValue{Stream: stream, Value: values[stream]})
	}
	return unary(c, ctx, "ConfigureStreams", request, c.raw.ConfigureStreams)
}

// ChangeEndpointAuthKey changes an SCTP-AUTH key of an endpoint (its
// associations to come and those it has): add (with secret), activate,
// deactivate or delete.
func (c *Client) ChangeEndpointAuthKey(ctx context.Context, endpointID uint64, action pb.AuthKeyAction,
	keyID uint32, secret []byte) error {
	_, err := unary(c, ctx, "ChangeAuthKey", &pb.ChangeAuthKeyRequest{
		SessionId: c.sessionID, EndpointId: endpointID, Action: action, KeyId: keyID, Secret: secret,
	}, c.raw.ChangeAuthKey)
	return err
}

// ChangeAssociationAuthKey changes an SCTP-AUTH key of one association.
func (c *Client) ChangeAssociationAuthKey(ctx context.Context, associationID uint64, action pb.AuthKeyAction,
	keyID uint32, secret []byte) error {
	_, err := unary(c, ctx, "ChangeAuthKey", &pb.ChangeAuthKeyRequest{
		SessionId: c.sessionID, AssociationId: associationID, Action: action, KeyId: keyID, Secret: secret,
	}, c.raw.ChangeAuthKey)
	return err
}

// ServiceStatus returns how the sctpgw process stands: version, state, how
// it started, what it holds. Needs no session.
func (c *Client) ServiceStatus(ctx context.Context) (*pb.GetServiceStatusResponse, error) {
	return unary(c, ctx, "GetServiceStatus", &pb.GetServiceStatusRequest{}, c.raw.GetServiceStatus)
}
