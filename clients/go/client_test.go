package sctpgw_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func TestDialOpensASessionAndCloseEndsIt(t *testing.T) {
	s := newServer(t)
	client := s.dial(sctpgw.WithClientName("mme-1"), sctpgw.WithLease(20*time.Second))
	if client.SessionID() == "" || client.Lease() != 20*time.Second {
		t.Fatalf("session %q lease %v", client.SessionID(), client.Lease())
	}
	if client.Liveness() != pb.SessionLiveness_SESSION_LIVENESS_CONNECTION {
		t.Fatalf("liveness %v", client.Liveness())
	}
	open := s.fake.requestsOf("OpenSession")[0].request.(*pb.OpenSessionRequest)
	if open.GetClientName() != "mme-1" || open.GetRequestedLeaseMs() != 20000 ||
		open.GetLiveness() != pb.SessionLiveness_SESSION_LIVENESS_UNSPECIFIED {
		t.Fatalf("OpenSession request %v", open)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if s.fake.sessionCount() != 0 {
		t.Fatal("the session outlived Close")
	}
	closing := s.fake.requestsOf("CloseSession")[0].request.(*pb.CloseSessionRequest)
	if closing.GetSessionId() != client.SessionID() {
		t.Fatalf("CloseSession of %q", closing.GetSessionId())
	}
	if err := client.Close(); err != nil { // A second Close does nothing.
		t.Fatal(err)
	}
	if n := len(s.fake.requestsOf("CloseSession")); n != 1 {
		t.Fatalf("%d CloseSession calls", n)
	}
}

func TestDialAttachesToASessionAndKeepSessionLeavesIt(t *testing.T) {
	s := newServer(t)
	first := s.dial(sctpgw.WithKeepSession())
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if s.fake.sessionCount() != 1 {
		t.Fatal("WithKeepSession: Close ended the session")
	}
	again := s.dial(sctpgw.WithSession(first.SessionID()))
	if len(s.fake.requestsOf("OpenSession")) != 1 {
		t.Fatal("attaching opened a session")
	}
	if _, err := again.ListAssociations(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	list := s.fake.requestsOf("ListAssociations")[0].request.(*pb.ListAssociationsRequest)
	if list.GetSessionId() != first.SessionID() {
		t.Fatalf("the call named session %q", list.GetSessionId())
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	if s.fake.sessionCount() != 0 {
		t.Fatal("Close left the attached session")
	}
}

func TestCloseIgnoresASessionAlreadyGone(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	s.fake.script(func() {
		delete(s.fake.sessions, client.SessionID())
	})
	if err := client.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestDialFailsWithOpenSessionsError(t *testing.T) {
	s := newServer(t)
	s.fake.script(func() {
		s.fake.failNext["OpenSession"] = []failure{{codes.ResourceExhausted, "LIMIT_EXCEEDED",
			map[string]string{"limit": "max_sessions"}, "too many sessions"}}
	})
	_, err := sctpgw.Dial(context.Background(), s.target)
	var e *sctpgw.Error
	if !errors.As(err, &e) || e.Code != codes.ResourceExhausted || e.Reason != "LIMIT_EXCEEDED" ||
		e.Metadata["limit"] != "max_sessions" || e.Call != "OpenSession" {
		t.Fatalf("Dial: %#v", err)
	}
}

func TestEndpointCalls(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	ctx := context.Background()
	endpoint, err := client.OpenEndpoint(ctx, []string{"192.0.2.1", "192.0.2.2"}, 38412, &sctpgw.EndpointOptions{
		Listen: true, Backlog: 16, Streams: 8, Init: &pb.InitOptions{MaxInitAttempts: 3},
		PathParameters:    &pb.PathParameters{RtoMinMs: proto.Uint32(100)},
		StreamScheduler:   pb.StreamScheduler_STREAM_SCHEDULER_PRIORITY,
		SocketSettings:    &pb.SocketSettings{CookieLifeMs: proto.Uint32(30000), BundleMessages: true},
		Auth:              &pb.AuthOptions{Enabled: true, Keys: []*pb.AuthKey{{KeyId: 1, Secret: []byte("s")}}},
		OversizedMessages: pb.OversizedMessages_OVERSIZED_MESSAGES_ABORT, Interleaving: true,
		AddressReconfiguration: true, UDPEncapsulationPort: 9899,
		StreamReconfiguration: &pb.StreamReconfiguration{ResetStreams: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if endpoint.GetPort() != 38412 || !endpoint.GetListening() {
		t.Fatalf("endpoint %v", endpoint)
	}
	request := s.fake.requestsOf("OpenEndpoint")[0].request.(*pb.OpenEndpointRequest)
	want := &pb.OpenEndpointRequest{
		SessionId: client.SessionID(), LocalAddresses: []string{"192.0.2.1", "192.0.2.2"}, Port: 38412,
		Listen: true, Backlog: 16,
		Init:              &pb.InitOptions{OutboundStreams: 8, MaxInboundStreams: 8, MaxInitAttempts: 3},
		PathParameters:    &pb.PathParameters{RtoMinMs: proto.Uint32(100)},
		StreamScheduler:   pb.StreamScheduler_STREAM_SCHEDULER_PRIORITY,
		SocketSettings:    &pb.SocketSettings{CookieLifeMs: proto.Uint32(30000), BundleMessages: true},
		Auth:              &pb.AuthOptions{Enabled: true, Keys: []*pb.AuthKey{{KeyId: 1, Secret: []byte("s")}}},
		OversizedMessages: pb.OversizedMessages_OVERSIZED_MESSAGES_ABORT, Interleaving: true,
		AddressReconfiguration: true, UdpEncapsulationPort: 9899,
		StreamReconfiguration: &pb.StreamReconfiguration{ResetStreams: true},
	}
	if !proto.Equal(request, want) {
		t.Fatalf("OpenEndpoint request\n got %v\nwant %v", request, want)
	}

	second, err := client.OpenEndpoint(ctx, []string{"::1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if request := s.fake.requestsOf("OpenEndpoint")[1].request.(*pb.OpenEndpointRequest); request.GetInit() != nil {
		t.Fatalf("no options sent init %v", request.GetInit())
	}
	endpoints, err := client.ListEndpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(endpoints) != 2 || len(s.fake.requestsOf("ListEndpoints")) != 2 {
		t.Fatalf("ListEndpoints: %d endpoints in %d pages", len(endpoints), len(s.fake.requestsOf("ListEndpoints")))
	}
	if _, err := client.UpdateEndpointAddresses(ctx, endpoint.GetEndpointId(), []string{"192.0.2.3"}, []string{"192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	update := s.fake.requestsOf("UpdateEndpointAddresses")[0].request.(*pb.UpdateEndpointAddressesRequest)
	if update.GetAddAddresses()[0] != "192.0.2.3" || update.GetRemoveAddresses()[0] != "192.0.2.1" {
		t.Fatalf("UpdateEndpointAddresses request %v", update)
	}
	if err := client.CloseEndpoint(ctx, second.GetEndpointId(), true); err != nil {
		t.Fatal(err)
	}
	if closing := s.fake.requestsOf("CloseEndpoint")[0].request.(*pb.CloseEndpointRequest); !closing.GetAbort() {
		t.Fatalf("CloseEndpoint request %v", closing)
	}
	if err := client.ChangeEndpointAuthKey(ctx, endpoint.GetEndpointId(), pb.AuthKeyAction_AUTH_KEY_ACTION_ADD, 2, []byte("k")); err != nil {
		t.Fatal(err)
	}
	key := s.fake.requestsOf("ChangeAuthKey")[0].request.(*pb.ChangeAuthKeyRequest)
	if key.GetEndpointId() != endpoint.GetEndpointId() || key.GetAssociationId() != 0 || key.GetKeyId() != 2 ||
		string(key.GetSecret()) != "k" || key.GetAction() != pb.AuthKeyAction_AUTH_KEY_ACTION_ADD {
		t.Fatalf("ChangeAuthKey request %v", key)
	}
}

func TestAssociationCalls(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	ctx := context.Background()
	endpoint, err := client.OpenEndpoint(ctx, []string{"127.0.0.1"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	association, err := client.Associate(ctx, endpoint.GetEndpointId(), []string{"198.51.100.7", "198.51.100.8"}, 36412,
		&sctpgw.AssociateOptions{Streams: 4, Init: &pb.InitOptions{MaxInitTimeoutMs: 500}})
	if err != nil {
		t.Fatal(err)
	}
	id := association.GetAssociationId()
	associate := s.fake.requestsOf("Associate")[0].request.(*pb.AssociateRequest)
	want := &pb.AssociateRequest{SessionId: client.SessionID(), EndpointId: endpoint.GetEndpointId(),
		PeerAddresses: []string{"198.51.100.7", "198.51.100.8"}, PeerPort: 36412,
		Init: &pb.InitOptions{OutboundStreams: 4, MaxInboundStreams: 4, MaxInitTimeoutMs: 500}}
	if !proto.Equal(associate, want) {
		t.Fatalf("Associate request\n got %v\nwant %v", associate, want)
	}

	if err := client.Send(ctx, id, []byte("hello"), &sctpgw.SendOptions{Stream: 1, PPID: 46, Unordered: true,
		Lifetime: 1500 * time.Millisecond, PeerAddress: "198.51.100.8", Context: 7}); err != nil {
		t.Fatal(err)
	}
	if err := client.Send(ctx, id, []byte("again"), &sctpgw.SendOptions{MaxRetransmissions: proto.Uint32(0)}); err != nil {
		t.Fatal(err)
	}
	sends := s.fake.requestsOf("Send")
	first := sends[0].request.(*pb.SendRequest)
	wantMessage := &pb.OutboundMessage{Stream: 1, Ppid: 46, Unordered: true, LifetimeMs: 1500,
		PeerAddress: "198.51.100.8", Context: 7, Payload: []byte("hello")}
	if first.GetAssociationId() != id || !proto.Equal(first.GetMessages()[0], wantMessage) {
		t.Fatalf("Send request %v", first)
	}
	second := sends[1].request.(*pb.SendRequest).GetMessages()[0]
	if second.MaxRetransmissions == nil || second.GetMaxRetransmissions() != 0 || second.Priority != nil {
		t.Fatalf("PR-SCTP fields %v", second)
	}
	accepted, err := client.SendBatch(ctx, id, []*pb.OutboundMessage{
		sctpgw.Message([]byte("a"), nil), sctpgw.Message([]byte("b"), &sctpgw.SendOptions{Priority: proto.Uint32(3)})})
	if err != nil || accepted != 2 {
		t.Fatalf("SendBatch: %d, %v", accepted, err)
	}

	s.fake.deliver(id, inbound("one", 2, 60), inbound("two", 2, 60))
	messages, err := client.Receive(ctx, id, &sctpgw.ReceiveOptions{MaxMessages: 1, MaxBytes: 4096})
	if err != nil || len(messages) != 1 || string(messages[0].GetPayload()) != "one" {
		t.Fatalf("Receive: %v, %v", messages, err)
	}
	receive := s.fake.requestsOf("Receive")[0].request.(*pb.ReceiveRequest)
	if receive.GetAssociationId() != id || receive.GetMaxMessages() != 1 || receive.GetMaxBytes() != 4096 {
		t.Fatalf("Receive request %v", receive)
	}
	messages, err = client.ReceiveFromEndpoint(ctx, endpoint.GetEndpointId(), nil)
	if err != nil || len(messages) != 1 || string(messages[0].GetPayload()) != "two" {
		t.Fatalf("ReceiveFromEndpoint: %v, %v", messages, err)
	}
	if reply := sctpgw.ReplyOptions(messages[0]); reply.Stream != 2 || reply.PPID != 60 || reply.Unordered {
		t.Fatalf("ReplyOptions %+v", reply)
	}

	info, err := client.GetAssociation(ctx, id, 1, 2)
	if err != nil || info.GetAssociation().GetAssociationId() != id || len(info.GetPaths()) != 2 {
		t.Fatalf("GetAssociation: %v, %v", info, err)
	}
	if streams := s.fake.requestsOf("GetAssociation")[0].request.(*pb.GetAssociationRequest).GetStreams(); len(streams) != 2 {
		t.Fatalf("GetAssociation streams %v", streams)
	}
	associations, err := client.ListAssociations(ctx, endpoint.GetEndpointId())
	if err != nil || len(associations) != 1 {
		t.Fatalf("ListAssociations: %v, %v", associations, err)
	}
	if err := client.SetPrimaryPath(ctx, id, "198.51.100.8"); err != nil {
		t.Fatal(err)
	}
	if err := client.RequestPeerPrimaryPath(ctx, id, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := client.RequestHeartbeat(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	paths, err := client.ConfigurePaths(ctx, id, &pb.PathParameters{HeartbeatIntervalMs: proto.Uint32(500)}, "198.51.100.7")
	if err != nil || paths.GetParameters().GetHeartbeatIntervalMs() != 500 {
		t.Fatalf("ConfigurePaths: %v, %v", paths, err)
	}
	if err := client.ResetStreams(ctx, id, pb.StreamResetDirection_STREAM_RESET_DIRECTION_BOTH, 1, 3); err != nil {
		t.Fatal(err)
	}
	if err := client.ResetAssociation(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := client.AddStreams(ctx, id, 2, 1); err != nil {
		t.Fatal(err)
	}
	scheduled, err := client.ConfigureStreams(ctx, id, pb.StreamScheduler_STREAM_SCHEDULER_PRIORITY, map[uint32]uint32{3: 1, 1: 0, 2: 5})
	if err != nil || scheduled.GetScheduler() != pb.StreamScheduler_STREAM_SCHEDULER_PRIORITY {
		t.Fatalf("ConfigureStreams: %v, %v", scheduled, err)
	}
	if err := client.ChangeAssociationAuthKey(ctx, id, pb.AuthKeyAction_AUTH_KEY_ACTION_ACTIVATE, 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := client.Abort(ctx, id, "bye"); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.fake.allRequests() {
		if r.method == "OpenSession" || r.method == "GetServiceStatus" {
			continue
		}
		withSession, ok := r.request.(interface{ GetSessionId() string })
		if !ok || withSession.GetSessionId() != client.SessionID() {
			t.Fatalf("%s carried no session id", r.method)
		}
	}
	sid := client.SessionID()
	for method, want := range map[string]proto.Message{
		"SetPrimaryPath":         &pb.SetPrimaryPathRequest{SessionId: sid, AssociationId: id, PeerAddress: "198.51.100.8"},
		"RequestPeerPrimaryPath": &pb.RequestPeerPrimaryPathRequest{SessionId: sid, AssociationId: id, LocalAddress: "127.0.0.1"},
		"RequestHeartbeat":       &pb.RequestHeartbeatRequest{SessionId: sid, AssociationId: id},
		"ConfigurePaths": &pb.ConfigurePathsRequest{SessionId: sid, AssociationId: id, PeerAddress: "198.51.100.7",
			Parameters: &pb.PathParameters{HeartbeatIntervalMs: proto.Uint32(500)}},
		"ResetStreams": &pb.ResetStreamsRequest{SessionId: sid, AssociationId: id,
			Direction: pb.StreamResetDirection_STREAM_RESET_DIRECTION_BOTH, Streams: []uint32{1, 3}},
		"ResetAssociation": &pb.ResetAssociationRequest{SessionId: sid, AssociationId: id},
		"AddStreams":       &pb.AddStreamsRequest{SessionId: sid, AssociationId: id, Outbound: 2, Inbound: 1},
		"ConfigureStreams": &pb.ConfigureStreamsRequest{SessionId: sid, AssociationId: id,
			Scheduler: pb.StreamScheduler_STREAM_SCHEDULER_PRIORITY,
			Values:    []*pb.StreamValue{{Stream: 1, Value: 0}, {Stream: 2, Value: 5}, {Stream: 3, Value: 1}}},
		"ChangeAuthKey": &pb.ChangeAuthKeyRequest{SessionId: sid, EndpointId: 0, AssociationId: id,
			Action: pb.AuthKeyAction_AUTH_KEY_ACTION_ACTIVATE, KeyId: 1},
		"Shutdown": &pb.ShutdownRequest{SessionId: sid, AssociationId: id,
			Mode: pb.ShutdownMode_SHUTDOWN_MODE_ABORT, AbortReason: "bye"},
	} {
		got := s.fake.requestsOf(method)
		if !proto.Equal(got[len(got)-1].request, want) {
			t.Fatalf("%s request\n got %v\nwant %v", method, got[len(got)-1].request, want)
		}
	}

	other, err := client.Associate(ctx, endpoint.GetEndpointId(), []string{"198.51.100.9"}, 36412, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Shutdown(ctx, other.GetAssociationId()); err != nil {
		t.Fatal(err)
	}
	shutdowns := s.fake.requestsOf("Shutdown")
	if mode := shutdowns[len(shutdowns)-1].request.(*pb.ShutdownRequest).GetMode(); mode != pb.ShutdownMode_SHUTDOWN_MODE_GRACEFUL {
		t.Fatalf("Shutdown mode %v", mode)
	}
	status, err := client.ServiceStatus(ctx)
	if err != nil || status.GetVersion() != "0.1.0" {
		t.Fatalf("ServiceStatus: %v, %v", status, err)
	}
}

func TestRenewLeaseAndRawAccess(t *testing.T) {
	s := newServer(t)
	client := s.dial(sctpgw.WithLease(9 * time.Second))
	response, err := client.RenewLease(context.Background(), 42)
	if err != nil || response.GetLeaseMs() != 9000 {
		t.Fatalf("RenewLease: %v, %v", response, err)
	}
	renew := s.fake.requestsOf("RenewLease")[0].request.(*pb.RenewLeaseRequest)
	if renew.GetSessionId() != client.SessionID() || renew.GetHandledSequence() != 42 {
		t.Fatalf("RenewLease request %v", renew)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = client.Raw().CloseEndpoint(ctx, &pb.CloseEndpointRequest{SessionId: client.SessionID(), EndpointId: 99})
	if sctpgw.ReasonOf(err) != "ENDPOINT_NOT_FOUND" || sctpgw.MetadataOf(err)["endpoint_id"] != "99" {
		t.Fatalf("raw call: %v", sctpgw.FromError(err))
	}
	if client.Conn() == nil {
		t.Fatal("no connection")
	}
}

func TestSendBatchAfterHandoverSendsOnlyTheRest(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	id := s.fake.addAssociation()
	s.fake.script(func() {
		s.fake.sendAccepts = []int{2}
	})
	batch := []*pb.OutboundMessage{sctpgw.Message([]byte("1"), nil), sctpgw.Message([]byte("2"), nil),
		sctpgw.Message([]byte("3"), nil), sctpgw.Message([]byte("4"), nil)}
	accepted, err := client.SendBatch(context.Background(), id, batch)
	if err != nil || accepted != 4 {
		t.Fatalf("SendBatch: %d, %v", accepted, err)
	}
	sends := s.fake.requestsOf("Send")
	if len(sends) != 2 || len(sends[1].request.(*pb.SendRequest).GetMessages()) != 2 ||
		string(sends[1].request.(*pb.SendRequest).GetMessages()[0].GetPayload()) != "3" {
		t.Fatalf("the retry sent %v", sends)
	}
	if got := len(s.fake.sentTo(id)); got != 4 {
		t.Fatalf("%d messages sent in all", got)
	}

	// A final error counts what every attempt got accepted.
	s.fake.script(func() {
		s.fake.failNext["Send"] = []failure{
			{codes.Unavailable, "HANDED_OVER", map[string]string{"accepted_messages": "1"}, "handing over"},
			{codes.DeadlineExceeded, "DEADLINE_EXCEEDED", map[string]string{"accepted_messages": "1"}, "deadline"}}
	})
	accepted, err = client.SendBatch(context.Background(), id, batch[:3])
	if sctpgw.ReasonOf(err) != "DEADLINE_EXCEEDED" || sctpgw.MetadataOf(err)["accepted_messages"] != "2" || accepted != 2 {
		t.Fatalf("SendBatch: %d, %v", accepted, err)
	}
	sends = s.fake.requestsOf("Send")
	if retried := sends[len(sends)-1].request.(*pb.SendRequest).GetMessages(); len(retried) != 2 || string(retried[0].GetPayload()) != "2" {
		t.Fatalf("the retry sent %v", retried)
	}
}

func TestHandedOverCallIsMadeAgain(t *testing.T) {
	s := newServer(t)
	client := s.dial()
	s.fake.script(func() {
		s.fake.failNext["GetServiceStatus"] = []failure{
			{codes.Unavailable, "HANDED_OVER", nil, "handing over"}, {codes.Unavailable, "HANDED_OVER", nil, "handing over"}}
	})
	if _, err := client.ServiceStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.requestsOf("GetServiceStatus")); n != 3 {
		t.Fatalf("%d attempts", n)
	}
	// Other errors are not retried.
	s.fake.script(func() {
		s.fake.failNext["GetServiceStatus"] = []failure{{codes.Unavailable, "SHUTTING_DOWN", nil, "stopping"}}
	})
	if _, err := client.ServiceStatus(context.Background()); sctpgw.ReasonOf(err) != "SHUTTING_DOWN" {
		t.Fatalf("ServiceStatus: %v", err)
	}
	if n := len(s.fake.requestsOf("GetServiceStatus")); n != 4 {
		t.Fatalf("%d attempts", n)
	}
}

func TestDeadlines(t *testing.T) {
	s := newServer(t)
	client := s.dial(sctpgw.WithTimeout(300 * time.Millisecond))
	id := s.fake.addAssociation()
	if client.Timeout() != 300*time.Millisecond {
		t.Fatalf("Timeout %v", client.Timeout())
	}

	// No deadline in the context: the client's default.
	began := time.Now()
	messages, err := client.Receive(context.Background(), id, nil)
	took := time.Since(began)
	if err != nil || len(messages) != 0 {
		t.Fatalf("Receive with nothing queued: %v, %v", messages, err)
	}
	if took < 200*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Receive took %v with a 300 ms default", took)
	}
	sent := s.fake.requestsOf("Receive")[0].deadline
	if sent.IsZero() || sent.Sub(began) > 400*time.Millisecond {
		t.Fatalf("the call's deadline was %v after it began", sent.Sub(began))
	}

	// The context's deadline wins over the default, longer or shorter.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	go func() {
		time.Sleep(500 * time.Millisecond)
		s.fake.deliver(id, inbound("late", 0, 0))
	}()
	messages, err = client.Receive(ctx, id, nil)
	if err != nil || len(messages) != 1 {
		t.Fatalf("Receive within the context's deadline: %v, %v", messages, err)
	}
	want, _ := ctx.Deadline()
	if got := s.fake.requestsOf("Receive")[1].deadline; got.Sub(want) > 50*time.Millisecond || want.Sub(got) > 50*time.Millisecond {
		t.Fatalf("the call's deadline %v, the context's %v", got, want)
	}

	// A deadline that passes makes an *Error that errors.Is matches.
	s.fake.script(func() {
		s.fake.holdAck = true
	})
	events := client.Events(context.Background(), nil)
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	_, err = events.Start(short)
	var e *sctpgw.Error
	if !errors.As(err, &e) || e.Code != codes.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start past its deadline: %v", err)
	}
	if _, again := events.Next(); again != err {
		t.Fatalf("Next after the failed Start: %v", again)
	}

	// A cancelled context is CANCELLED, not an empty Receive.
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := client.Receive(cancelled, id, nil); sctpgw.CodeOf(err) != codes.Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with a cancelled context: %v", err)
	}
}
