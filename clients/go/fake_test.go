package sctpgw_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

// failure is an error the fake answers with, as sctpgw does: a code, an
// ErrorInfo reason and metadata.
type failure struct {
	code     codes.Code
	reason   string
	metadata map[string]string
	message  string
}

// abort returns the error of a failure, its ErrorInfo encoded by genproto's
// errdetails (not by the library's decoder, which it checks).
func abort(code codes.Code, reason string, metadata map[string]string, message string) error {
	if message == "" {
		message = reason
	}
	st, err := status.New(code, message).WithDetails(&errdetails.ErrorInfo{
		Reason: reason, Domain: sctpgw.Domain, Metadata: metadata})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func (f failure) err() error { return abort(f.code, f.reason, f.metadata, f.message) }

// recorded is one request the fake received, with the deadline it came
// with (zero: none).
type recorded struct {
	method   string
	request  proto.Message
	deadline time.Time
}

type fakeSession struct {
	name        string
	liveness    pb.SessionLiveness
	lease       time.Duration
	lastRenewal time.Time
}

// fakeGateway is enough of sctpgw for the library's tests: sessions (with
// leases in application liveness), endpoints, associations, queued
// messages and an event log. Scripted failures (failNext, watchBreaks,
// receiveStreamBreaks, sendAccepts) stand in for sctpgw's errors, a
// handover and a restart.
type fakeGateway struct {
	pb.UnimplementedGatewayServiceServer

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	requests []recorded
	sessions map[string]*fakeSession
	// endpoints and associations by id.
	endpoints    map[uint64]*pb.Endpoint
	associations map[uint64]*pb.Association
	queues       map[uint64][]*pb.InboundMessage
	sent         map[uint64][]*pb.OutboundMessage
	events       []*pb.Event
	firstKept    uint64
	nextID       uint64
	// failNext: the next calls of a method fail so, one each.
	failNext map[string][]failure
	// watchBreaks: for each WatchEvents stream opened, in turn, end it
	// UNAVAILABLE after this many events.
	watchBreaks []int
	// holdAck: WatchEvents streams send no acknowledgement.
	holdAck bool
	// receiveStreamBreaks: for each ReceiveStream opened, in turn, end it
	// so once it has more to send after its first response.
	receiveStreamBreaks []failure
	// sendAccepts: the next Sends accept only this many, then HANDED_OVER.
	sendAccepts []int
	// echo: every message sent comes back, on stream 0 with PPID 0 (as
	// socat echoes).
	echo bool
	// sendStreamAckEvery: SendStream acknowledges every this many requests.
	sendStreamAckEvery int
	// predatesLiveness: OpenSession ignores the liveness asked for and
	// answers none, as a service older than application liveness does.
	predatesLiveness bool
}

func newFake() *fakeGateway {
	return &fakeGateway{
		changed:            make(chan struct{}),
		sessions:           map[string]*fakeSession{},
		endpoints:          map[uint64]*pb.Endpoint{},
		associations:       map[uint64]*pb.Association{},
		queues:             map[uint64][]*pb.InboundMessage{},
		sent:               map[uint64][]*pb.OutboundMessage{},
		firstKept:          1,
		nextID:             1,
		failNext:           map[string][]failure{},
		sendStreamAckEvery: 4,
	}
}

// notify wakes the waiters; with f.mu held.
func (f *fakeGateway) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// wait waits until ready() (called with f.mu held), ctx ends or its
// deadline less margin passes; true if ready() holds.
func (f *fakeGateway) wait(ctx context.Context, margin time.Duration, ready func() bool) bool {
	var expired <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		timer := time.NewTimer(time.Until(deadline) - margin)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		f.mu.Lock()
		if ready() {
			f.mu.Unlock()
			return true
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		case <-expired:
			return false
		}
	}
}

// record notes a request, fails it if scripted, and checks its session.
func (f *fakeGateway) record(ctx context.Context, method string, request proto.Message, sessionID string) error {
	deadline, _ := ctx.Deadline()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, recorded{method, proto.Clone(request), deadline})
	f.notify()
	if failures := f.failNext[method]; len(failures) > 0 {
		f.failNext[method] = failures[1:]
		return failures[0].err()
	}
	if method == "OpenSession" || method == "GetServiceStatus" {
		return nil
	}
	session := f.sessions[sessionID]
	if session != nil && session.liveness == pb.SessionLiveness_SESSION_LIVENESS_APPLICATION &&
		time.Since(session.lastRenewal) > session.lease {
		delete(f.sessions, sessionID) // The lease ran out.
		session = nil
	}
	if session == nil {
		return abort(codes.NotFound, "SESSION_NOT_FOUND", nil, "no such session")
	}
	if session.liveness != pb.SessionLiveness_SESSION_LIVENESS_APPLICATION {
		session.lastRenewal = time.Now()
	}
	return nil
}

// script changes the fake's state or script under its lock (the tests'
// goroutine and the server's share it).
func (f *fakeGateway) script(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
	f.notify()
}

// sentTo returns the messages sent on an association.
func (f *fakeGateway) sentTo(associationID uint64) []*pb.OutboundMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*pb.OutboundMessage(nil), f.sent[associationID]...)
}

// allRequests returns every request received.
func (f *fakeGateway) allRequests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func (f *fakeGateway) requestsOf(method string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var found []recorded
	for _, r := range f.requests {
		if r.method == method {
			found = append(found, r)
		}
	}
	return found
}

func (f *fakeGateway) newID() uint64 {
	f.nextID++
	return f.nextID
}

// addEvent appends an association change event to the log.
func (f *fakeGateway) addEvent(associationID uint64, change pb.AssociationChangeType) *pb.Event {
	return f.addEventWith(&pb.Event{AssociationId: associationID, Kind: &pb.Event_AssociationChange{
		AssociationChange: &pb.AssociationChange{Type: change}}})
}

func (f *fakeGateway) addEventWith(event *pb.Event) *pb.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.appendEvent(event)
}

func (f *fakeGateway) appendEvent(event *pb.Event) *pb.Event {
	event.Sequence = uint64(len(f.events)) + f.firstKept
	f.events = append(f.events, event)
	f.notify()
	return event
}

func (f *fakeGateway) lastSequence() uint64 {
	if len(f.events) == 0 {
		return f.firstKept - 1
	}
	return f.events[len(f.events)-1].GetSequence()
}

// deliver queues received messages for an association.
func (f *fakeGateway) deliver(associationID uint64, messages ...*pb.InboundMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range messages {
		m.AssociationId = associationID
		f.queues[associationID] = append(f.queues[associationID], m)
	}
	f.notify()
}

// addAssociation makes an established association on a new endpoint.
func (f *fakeGateway) addAssociation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	endpoint := &pb.Endpoint{EndpointId: f.newID(), Port: 40000}
	f.endpoints[endpoint.EndpointId] = endpoint
	association := &pb.Association{AssociationId: f.newID(), EndpointId: endpoint.EndpointId,
		State: pb.AssociationState_ASSOCIATION_STATE_ESTABLISHED, OutboundStreams: 10, InboundStreams: 10}
	f.associations[association.AssociationId] = association
	return association.AssociationId
}

func (f *fakeGateway) endAssociation(associationID uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.associations[associationID].State = pb.AssociationState_ASSOCIATION_STATE_CLOSED
	f.notify()
}

func (f *fakeGateway) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

// ---------------------------------------------------------------- calls

func (f *fakeGateway) OpenSession(ctx context.Context, request *pb.OpenSessionRequest) (*pb.OpenSessionResponse, error) {
	if err := f.record(ctx, "OpenSession", request, ""); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("%032x", f.newID())
	lease := request.GetRequestedLeaseMs()
	if lease == 0 {
		lease = 30000
	}
	liveness := request.GetLiveness()
	if liveness == pb.SessionLiveness_SESSION_LIVENESS_UNSPECIFIED || f.predatesLiveness {
		liveness = pb.SessionLiveness_SESSION_LIVENESS_CONNECTION
	}
	f.sessions[id] = &fakeSession{name: request.GetClientName(), liveness: liveness,
		lease: time.Duration(lease) * time.Millisecond, lastRenewal: time.Now()}
	response := &pb.OpenSessionResponse{SessionId: id, LeaseMs: lease, Liveness: liveness}
	if f.predatesLiveness {
		response.Liveness = pb.SessionLiveness_SESSION_LIVENESS_UNSPECIFIED
	}
	return response, nil
}

func (f *fakeGateway) CloseSession(ctx context.Context, request *pb.CloseSessionRequest) (*pb.CloseSessionResponse, error) {
	if err := f.record(ctx, "CloseSession", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, request.GetSessionId())
	return &pb.CloseSessionResponse{}, nil
}

func (f *fakeGateway) RenewLease(ctx context.Context, request *pb.RenewLeaseRequest) (*pb.RenewLeaseResponse, error) {
	if err := f.record(ctx, "RenewLease", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	session := f.sessions[request.GetSessionId()]
	session.lastRenewal = time.Now()
	return &pb.RenewLeaseResponse{LeaseMs: uint32(session.lease / time.Millisecond), Liveness: session.liveness}, nil
}

func (f *fakeGateway) OpenEndpoint(ctx context.Context, request *pb.OpenEndpointRequest) (*pb.OpenEndpointResponse, error) {
	if err := f.record(ctx, "OpenEndpoint", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	for _, address := range request.GetLocalAddresses() {
		if net.ParseIP(address) == nil {
			return nil, abort(codes.InvalidArgument, "INVALID_ADDRESS",
				map[string]string{"field": "local_addresses", "address": address}, "not a numeric address")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	port := request.GetPort()
	if port == 0 {
		port = 40000
	}
	endpoint := &pb.Endpoint{EndpointId: f.newID(), Port: port, Listening: request.GetListen(),
		SocketSettings: request.GetSocketSettings(), StreamScheduler: request.GetStreamScheduler(),
		OversizedMessages: request.GetOversizedMessages()}
	for _, address := range request.GetLocalAddresses() {
		endpoint.LocalAddresses = append(endpoint.LocalAddresses, &pb.TransportAddress{Ip: address, Port: port})
	}
	f.endpoints[endpoint.EndpointId] = endpoint
	return &pb.OpenEndpointResponse{Endpoint: endpoint}, nil
}

func (f *fakeGateway) CloseEndpoint(ctx context.Context, request *pb.CloseEndpointRequest) (*pb.CloseEndpointResponse, error) {
	if err := f.record(ctx, "CloseEndpoint", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.endpoints[request.GetEndpointId()] == nil {
		return nil, abort(codes.NotFound, "ENDPOINT_NOT_FOUND",
			map[string]string{"endpoint_id": strconv.FormatUint(request.GetEndpointId(), 10)}, "no such endpoint")
	}
	delete(f.endpoints, request.GetEndpointId())
	return &pb.CloseEndpointResponse{}, nil
}

// ListEndpoints answers pages of one endpoint each, to test the paging.
func (f *fakeGateway) ListEndpoints(ctx context.Context, request *pb.ListEndpointsRequest) (*pb.ListEndpointsResponse, error) {
	if err := f.record(ctx, "ListEndpoints", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []uint64
	for id := range f.endpoints {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	start, _ := strconv.Atoi(request.GetPageToken())
	response := &pb.ListEndpointsResponse{}
	if start < len(ids) {
		response.Endpoints = []*pb.Endpoint{f.endpoints[ids[start]]}
	}
	if start+1 < len(ids) {
		response.NextPageToken = strconv.Itoa(start + 1)
	}
	return response, nil
}

func (f *fakeGateway) Associate(ctx context.Context, request *pb.AssociateRequest) (*pb.AssociateResponse, error) {
	if err := f.record(ctx, "Associate", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.endpoints[request.GetEndpointId()] == nil {
		return nil, abort(codes.NotFound, "ENDPOINT_NOT_FOUND", nil, "no such endpoint")
	}
	if request.GetPeerPort() == 9 { // Nobody listens on the discard port.
		return nil, abort(codes.Unavailable, "ASSOCIATE_FAILED",
			map[string]string{"errno": "111", "peer": request.GetPeerAddresses()[0] + ":9"},
			"the peer refused the association (ABORT)")
	}
	streams := uint32(10)
	if request.GetInit().GetOutboundStreams() != 0 {
		streams = request.GetInit().GetOutboundStreams()
	}
	association := &pb.Association{AssociationId: f.newID(), EndpointId: request.GetEndpointId(),
		State: pb.AssociationState_ASSOCIATION_STATE_ESTABLISHED, OutboundStreams: streams, InboundStreams: streams}
	for _, address := range request.GetPeerAddresses() {
		association.PeerAddresses = append(association.PeerAddresses,
			&pb.TransportAddress{Ip: address, Port: request.GetPeerPort()})
	}
	f.associations[association.AssociationId] = association
	f.appendEvent(&pb.Event{AssociationId: association.AssociationId, EndpointId: association.EndpointId,
		Kind: &pb.Event_AssociationChange{AssociationChange: &pb.AssociationChange{
			Type: pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_UP, OutboundStreams: streams}}})
	return &pb.AssociateResponse{Association: association}, nil
}

// checkMessages validates a batch as sctpgw does; with f.mu held.
func (f *fakeGateway) checkMessages(request *pb.SendRequest, extra map[string]string) error {
	association := f.associations[request.GetAssociationId()]
	if association == nil {
		return abort(codes.NotFound, "ASSOCIATION_NOT_FOUND", extra, "no such association")
	}
	for i, m := range request.GetMessages() {
		if m.GetStream() >= association.GetOutboundStreams() {
			metadata := map[string]string{"field": fmt.Sprintf("messages[%d].stream", i),
				"outbound_streams": strconv.Itoa(int(association.GetOutboundStreams()))}
			for k, v := range extra {
				metadata[k] = v
			}
			return abort(codes.InvalidArgument, "STREAM_OUT_OF_RANGE", metadata, "stream out of range")
		}
	}
	return nil
}

func (f *fakeGateway) Send(ctx context.Context, request *pb.SendRequest) (*pb.SendResponse, error) {
	if err := f.record(ctx, "Send", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkMessages(request, nil); err != nil {
		return nil, err
	}
	taken := request.GetMessages()
	limited := len(f.sendAccepts) > 0
	if limited {
		if n := f.sendAccepts[0]; n < len(taken) {
			taken = taken[:n]
		}
		f.sendAccepts = f.sendAccepts[1:]
	}
	id := request.GetAssociationId()
	f.sent[id] = append(f.sent[id], taken...)
	if f.echo {
		for _, m := range taken {
			f.queues[id] = append(f.queues[id], &pb.InboundMessage{AssociationId: id, Payload: m.GetPayload()})
		}
		f.notify()
	}
	if limited {
		return nil, abort(codes.Unavailable, "HANDED_OVER",
			map[string]string{"accepted_messages": strconv.Itoa(len(taken))}, "handed over")
	}
	return &pb.SendResponse{AcceptedMessages: uint32(len(taken))}, nil
}

// targets returns the association ids a ReceiveRequest reads; with f.mu
// held.
func (f *fakeGateway) targets(request *pb.ReceiveRequest) []uint64 {
	if id, ok := request.GetTarget().(*pb.ReceiveRequest_AssociationId); ok {
		if f.associations[id.AssociationId] == nil {
			return nil
		}
		return []uint64{id.AssociationId}
	}
	var ids []uint64
	for id, a := range f.associations {
		if a.GetEndpointId() == request.GetEndpointId() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// take removes what one response carries; with f.mu held.
func (f *fakeGateway) take(request *pb.ReceiveRequest, ids []uint64) []*pb.InboundMessage {
	limit := int(request.GetMaxMessages())
	if limit == 0 {
		limit = 64
	}
	var taken []*pb.InboundMessage
	for _, id := range ids {
		for len(f.queues[id]) > 0 && len(taken) < limit {
			taken = append(taken, f.queues[id][0])
			f.queues[id] = f.queues[id][1:]
		}
	}
	return taken
}

func (f *fakeGateway) queued(ids []uint64) bool {
	for _, id := range ids {
		if len(f.queues[id]) > 0 {
			return true
		}
	}
	return false
}

func (f *fakeGateway) Receive(ctx context.Context, request *pb.ReceiveRequest) (*pb.ReceiveResponse, error) {
	if err := f.record(ctx, "Receive", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	ids := f.targets(request)
	f.mu.Unlock()
	if len(ids) == 0 {
		return nil, abort(codes.NotFound, "ASSOCIATION_NOT_FOUND", nil, "no such association")
	}
	// sctpgw answers a little before the deadline, so that its answer is
	// not lost to the race.
	if f.wait(ctx, 50*time.Millisecond, func() bool { return f.queued(ids) }) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return &pb.ReceiveResponse{Messages: f.take(request, ids)}, nil
	}
	return nil, abort(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", nil, "nothing received before the deadline")
}

func (f *fakeGateway) ReceiveStream(request *pb.ReceiveRequest, stream pb.GatewayService_ReceiveStreamServer) error {
	ctx := stream.Context()
	if err := f.record(ctx, "ReceiveStream", request, request.GetSessionId()); err != nil {
		return err
	}
	f.mu.Lock()
	ids := f.targets(request)
	var breaking *failure
	if len(f.receiveStreamBreaks) > 0 {
		breaking = &f.receiveStreamBreaks[0]
		f.receiveStreamBreaks = f.receiveStreamBreaks[1:]
	}
	f.mu.Unlock()
	if len(ids) == 0 {
		return abort(codes.NotFound, "ASSOCIATION_NOT_FOUND", nil, "no such association")
	}
	ended := func() bool {
		for _, id := range ids {
			if f.associations[id].GetState() != pb.AssociationState_ASSOCIATION_STATE_CLOSED || len(f.queues[id]) > 0 {
				return false
			}
		}
		return true
	}
	for responses := 0; ; responses++ {
		if !f.wait(ctx, 0, func() bool { return ended() || f.queued(ids) }) {
			if ctx.Err() == context.Canceled {
				return ctx.Err()
			}
			return abort(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", nil, "deadline")
		}
		// The break comes when there is more to send after the first
		// response, and takes nothing from the queue.
		if breaking != nil && responses > 0 {
			return breaking.err()
		}
		f.mu.Lock()
		if ended() {
			f.mu.Unlock()
			return nil
		}
		taken := f.take(request, ids)
		f.mu.Unlock()
		if err := stream.Send(&pb.ReceiveResponse{Messages: taken}); err != nil {
			return err
		}
	}
}

func (f *fakeGateway) SendStream(stream pb.GatewayService_SendStreamServer) error {
	ctx := stream.Context()
	completed, accepted := uint64(0), uint64(0)
	for {
		request, err := stream.Recv()
		if err == io.EOF {
			break // The client's half-close.
		}
		if err != nil {
			return err
		}
		if err := f.record(ctx, "SendStream", request, request.GetSessionId()); err != nil {
			return err
		}
		f.mu.Lock()
		err = f.checkMessages(request, map[string]string{"completed_requests": strconv.FormatUint(completed, 10)})
		if err == nil {
			id := request.GetAssociationId()
			f.sent[id] = append(f.sent[id], request.GetMessages()...)
		}
		f.mu.Unlock()
		if err != nil {
			return err
		}
		completed++
		accepted += uint64(len(request.GetMessages()))
		if completed%uint64(f.sendStreamAckEvery) == 0 {
			if err := stream.Send(&pb.SendStreamResponse{CompletedRequests: completed, AcceptedMessages: accepted}); err != nil {
				return err
			}
		}
	}
	return stream.Send(&pb.SendStreamResponse{CompletedRequests: completed, AcceptedMessages: accepted})
}

func (f *fakeGateway) Shutdown(ctx context.Context, request *pb.ShutdownRequest) (*pb.ShutdownResponse, error) {
	if err := f.record(ctx, "Shutdown", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	association := f.associations[request.GetAssociationId()]
	if association == nil {
		return nil, abort(codes.NotFound, "ASSOCIATION_NOT_FOUND", nil, "no such association")
	}
	association.State = pb.AssociationState_ASSOCIATION_STATE_CLOSED
	change, detail := pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP, ""
	if request.GetMode() == pb.ShutdownMode_SHUTDOWN_MODE_ABORT {
		change, detail = pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_LOST, request.GetAbortReason()
	}
	f.appendEvent(&pb.Event{AssociationId: association.AssociationId, EndpointId: association.EndpointId,
		Detail: detail, Kind: &pb.Event_AssociationChange{AssociationChange: &pb.AssociationChange{Type: change}}})
	return &pb.ShutdownResponse{}, nil
}

func (f *fakeGateway) ListAssociations(ctx context.Context, request *pb.ListAssociationsRequest) (*pb.ListAssociationsResponse, error) {
	if err := f.record(ctx, "ListAssociations", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	response := &pb.ListAssociationsResponse{}
	for _, a := range f.associations {
		if request.GetEndpointId() == 0 || a.GetEndpointId() == request.GetEndpointId() {
			response.Associations = append(response.Associations, a)
		}
	}
	sort.Slice(response.Associations, func(i, j int) bool {
		return response.Associations[i].AssociationId < response.Associations[j].AssociationId
	})
	return response, nil
}

func (f *fakeGateway) GetAssociation(ctx context.Context, request *pb.GetAssociationRequest) (*pb.GetAssociationResponse, error) {
	if err := f.record(ctx, "GetAssociation", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	association := f.associations[request.GetAssociationId()]
	if association == nil {
		return nil, abort(codes.NotFound, "ASSOCIATION_NOT_FOUND",
			map[string]string{"association_id": strconv.FormatUint(request.GetAssociationId(), 10)}, "no such association")
	}
	response := &pb.GetAssociationResponse{Association: association}
	for _, address := range association.GetPeerAddresses() {
		response.Paths = append(response.Paths, &pb.PeerPath{Address: address, State: pb.PathState_PATH_STATE_ACTIVE, SrttMs: 1})
	}
	return response, nil
}

func (f *fakeGateway) ConfigurePaths(ctx context.Context, request *pb.ConfigurePathsRequest) (*pb.ConfigurePathsResponse, error) {
	if err := f.record(ctx, "ConfigurePaths", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	return &pb.ConfigurePathsResponse{Parameters: request.GetParameters()}, nil
}

func (f *fakeGateway) ConfigureStreams(ctx context.Context, request *pb.ConfigureStreamsRequest) (*pb.ConfigureStreamsResponse, error) {
	if err := f.record(ctx, "ConfigureStreams", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	return &pb.ConfigureStreamsResponse{Scheduler: request.GetScheduler(), Values: request.GetValues()}, nil
}

func (f *fakeGateway) GetServiceStatus(ctx context.Context, request *pb.GetServiceStatusRequest) (*pb.GetServiceStatusResponse, error) {
	if err := f.record(ctx, "GetServiceStatus", request, ""); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &pb.GetServiceStatusResponse{Version: "0.1.0", State: pb.ServiceState_SERVICE_STATE_SERVING,
		Sessions: uint32(len(f.sessions))}, nil
}

func (f *fakeGateway) UpdateEndpointAddresses(ctx context.Context, request *pb.UpdateEndpointAddressesRequest) (*pb.UpdateEndpointAddressesResponse, error) {
	if err := f.record(ctx, "UpdateEndpointAddresses", request, request.GetSessionId()); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &pb.UpdateEndpointAddressesResponse{Endpoint: f.endpoints[request.GetEndpointId()]}, nil
}

func (f *fakeGateway) SetPrimaryPath(ctx context.Context, request *pb.SetPrimaryPathRequest) (*pb.SetPrimaryPathResponse, error) {
	return &pb.SetPrimaryPathResponse{}, f.record(ctx, "SetPrimaryPath", request, request.GetSessionId())
}

func (f *fakeGateway) RequestPeerPrimaryPath(ctx context.Context, request *pb.RequestPeerPrimaryPathRequest) (*pb.RequestPeerPrimaryPathResponse, error) {
	return &pb.RequestPeerPrimaryPathResponse{}, f.record(ctx, "RequestPeerPrimaryPath", request, request.GetSessionId())
}

func (f *fakeGateway) ResetStreams(ctx context.Context, request *pb.ResetStreamsRequest) (*pb.ResetStreamsResponse, error) {
	return &pb.ResetStreamsResponse{}, f.record(ctx, "ResetStreams", request, request.GetSessionId())
}

func (f *fakeGateway) ResetAssociation(ctx context.Context, request *pb.ResetAssociationRequest) (*pb.ResetAssociationResponse, error) {
	return &pb.ResetAssociationResponse{}, f.record(ctx, "ResetAssociation", request, request.GetSessionId())
}

func (f *fakeGateway) AddStreams(ctx context.Context, request *pb.AddStreamsRequest) (*pb.AddStreamsResponse, error) {
	return &pb.AddStreamsResponse{}, f.record(ctx, "AddStreams", request, request.GetSessionId())
}

func (f *fakeGateway) ChangeAuthKey(ctx context.Context, request *pb.ChangeAuthKeyRequest) (*pb.ChangeAuthKeyResponse, error) {
	return &pb.ChangeAuthKeyResponse{}, f.record(ctx, "ChangeAuthKey", request, request.GetSessionId())
}

func (f *fakeGateway) RequestHeartbeat(ctx context.Context, request *pb.RequestHeartbeatRequest) (*pb.RequestHeartbeatResponse, error) {
	return &pb.RequestHeartbeatResponse{}, f.record(ctx, "RequestHeartbeat", request, request.GetSessionId())
}

func (f *fakeGateway) Capture(request *pb.CaptureRequest, stream pb.GatewayService_CaptureServer) error {
	if err := f.record(stream.Context(), "Capture", request, request.GetSessionId()); err != nil {
		return err
	}
	if err := stream.Send(&pb.CaptureResponse{}); err != nil {
		return err
	}
	return stream.Send(&pb.CaptureResponse{DroppedMessages: 2, Messages: []*pb.CapturedMessage{{
		Direction: pb.CaptureDirection_CAPTURE_DIRECTION_OUTBOUND, AssociationId: request.GetAssociationId(),
		Payload: []byte("copy")}}})
}

// WatchEvents sends the ack, then the events after the request's sequence
// in batches, and a progress message after each progress interval without
// events.
func (f *fakeGateway) WatchEvents(request *pb.WatchEventsRequest, stream pb.GatewayService_WatchEventsServer) error {
	ctx := stream.Context()
	if err := f.record(ctx, "WatchEvents", request, request.GetSessionId()); err != nil {
		return err
	}
	f.mu.Lock()
	breaksAfter := -1
	if len(f.watchBreaks) > 0 {
		breaksAfter, f.watchBreaks = f.watchBreaks[0], f.watchBreaks[1:]
	}
	after := request.GetAfterSequence()
	if request.GetOnlyNew() {
		after = f.lastSequence()
	}
	if after+1 < f.firstKept {
		f.mu.Unlock()
		return abort(codes.OutOfRange, "HISTORY_COMPACTED",
			map[string]string{"first_kept_sequence": strconv.FormatUint(f.firstKept, 10)}, "history compacted")
	}
	ack := &pb.WatchAck{AfterSequence: after, LastSequence: f.lastSequence(), FirstKeptSequence: f.firstKept}
	hold := f.holdAck
	f.mu.Unlock()
	if hold {
		<-ctx.Done()
		return ctx.Err()
	}
	if err := stream.Send(&pb.WatchEventsResponse{Kind: &pb.WatchEventsResponse_Ack{Ack: ack}}); err != nil {
		return err
	}
	interval := time.Duration(request.GetProgressIntervalMs()) * time.Millisecond
	if interval == 0 {
		interval = 10 * time.Second
	}
	sent := 0
	for {
		waitCtx, cancel := context.WithTimeout(ctx, interval)
		newer := f.wait(waitCtx, 0, func() bool { return f.lastSequence() > after })
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.mu.Lock()
		if !newer {
			last := f.lastSequence()
			f.mu.Unlock()
			if err := stream.Send(&pb.WatchEventsResponse{Kind: &pb.WatchEventsResponse_Progress{
				Progress: &pb.WatchProgress{LastSequence: last}}}); err != nil {
				return err
			}
			continue
		}
		var batch []*pb.Event
		for _, event := range f.events {
			if event.GetSequence() > after && (request.GetEndpointId() == 0 || event.GetEndpointId() == request.GetEndpointId()) {
				batch = append(batch, event)
			}
		}
		after = f.lastSequence()
		f.mu.Unlock()
		if breaksAfter >= 0 && len(batch) > breaksAfter-sent {
			batch = batch[:breaksAfter-sent]
		}
		if len(batch) > 0 {
			if err := stream.Send(&pb.WatchEventsResponse{Kind: &pb.WatchEventsResponse_Events{
				Events: &pb.EventBatch{Events: batch}}}); err != nil {
				return err
			}
			sent += len(batch)
		}
		if breaksAfter >= 0 && sent >= breaksAfter {
			return abort(codes.Unavailable, "SHUTTING_DOWN", nil, "shutting down")
		}
	}
}

// ---------------------------------------------------------------- server

// server is a fakeGateway served on a unix socket in a temporary
// directory; restart() stops it and serves the same fake again on the same
// socket (a restart of sctpgw that keeps its state).
type server struct {
	t      *testing.T
	fake   *fakeGateway
	path   string
	target string
	mu     sync.Mutex
	grpc   *grpc.Server
}

func newServer(t *testing.T) *server {
	t.Helper()
	// A short directory name: a unix socket's path is at most 107 bytes.
	directory, err := os.MkdirTemp("", "sctpgw-go-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(directory, "sctpgw.sock")
	s := &server{t: t, fake: newFake(), path: path, target: "unix:" + path}
	s.start()
	t.Cleanup(func() {
		s.stop()
		os.RemoveAll(directory)
	})
	return s
}

func (s *server) start() {
	s.t.Helper()
	listener, err := net.Listen("unix", s.path)
	if err != nil {
		s.t.Fatal(err)
	}
	g := grpc.NewServer()
	pb.RegisterGatewayServiceServer(g, s.fake)
	s.mu.Lock()
	s.grpc = g
	s.mu.Unlock()
	go g.Serve(listener)
}

func (s *server) stop() {
	s.mu.Lock()
	g := s.grpc
	s.grpc = nil
	s.mu.Unlock()
	if g != nil {
		g.Stop()
	}
}

func (s *server) restart() {
	s.stop()
	s.start()
}

// fastReconnect makes gRPC reconnect within 50 ms instead of its default
// one second, so that the tests of a restart are quick.
var fastReconnect = sctpgw.WithDialOptions(grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, MaxDelay: 200 * time.Millisecond},
	MinConnectTimeout: 5 * time.Second,
}))

// dial opens a client on the server, closed at the end of the test.
func (s *server) dial(opts ...sctpgw.Option) *sctpgw.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client, err := sctpgw.Dial(ctx, s.target, append([]sctpgw.Option{sctpgw.WithTimeout(5 * time.Second), fastReconnect}, opts...)...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { client.Close() })
	return client
}

// inbound is a received message.
func inbound(payload string, stream, ppid uint32) *pb.InboundMessage {
	return &pb.InboundMessage{Payload: []byte(payload), Stream: stream, Ppid: ppid}
}
