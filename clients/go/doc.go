// Package sctpgw is the Go client library of sctpgw, the gRPC service that
// holds Linux kernel SCTP endpoints and associations for applications
// (proto/sctpgw/v1, docs/api.md).
//
// Dial opens a session and Close ends it. Every GatewayService call is a
// method taking a context whose deadline bounds it (the client's default
// timeout when it has none); failures are *Error values with sctpgw's gRPC
// code, ErrorInfo reason and metadata (ReasonOf, CodeOf, MetadataOf).
// Events returns the session's resumable event stream, ReceiveStream and
// SendStream the data streams, and MessageJoiner joins messages delivered
// in pieces. The generated messages and the raw gRPC client are package
// sctpgwv1, import path "sctpgw.dev/proto/sctpgw/v1".
//
//	client, err := sctpgw.Dial(ctx, "unix:/run/sctpgw/sctpgw.sock")
//	if err != nil { ... }
//	defer client.Close()
//	endpoint, err := client.OpenEndpoint(ctx, []string{"192.0.2.1"}, 0, nil)
//	association, err := client.Associate(ctx, endpoint.EndpointId, []string{"198.51.100.7"}, 36412, nil)
//	err = client.Send(ctx, association.AssociationId, []byte("hello"), &sctpgw.SendOptions{Stream: 1, PPID: 60})
//	messages, err := client.Receive(ctx, association.AssociationId, nil)
//
// clients/go/README.md has the whole story.
package sctpgw // import "sctpgw.dev/client"
