// Command sctpgw_echo_client sends one message to an SCTP peer through
// sctpgw and prints the reply, using the Go client library
// (clients/go; scripts/build-go-client.sh builds this program):
//
//	sctpgw_echo_client [--target unix:/run/sctpgw/sctpgw.sock]
//	    [--local-address 0.0.0.0] [--stream 0] [--ppid 0] [--timeout 30]
//	    PEER_ADDRESS PEER_PORT MESSAGE
//
// It opens a session, watches its events (one line each, e.g.
// "event COMM_UP association 3"), opens an endpoint, associates, sends
// MESSAGE, prints the reply as "received stream=S ppid=P: TEXT", shuts the
// association down gracefully, waits for its SHUTDOWN_COMP (or COMM_LOST)
// event and closes the session. Every call has a deadline: the end of
// --timeout. On failure it prints "error CALL: CODE REASON: MESSAGE
// [metadata]" and exits 1; a bad command line exits 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

// closeTimeout bounds CloseSession after a failure, which may have been the
// run's deadline.
const closeTimeout = 5 * time.Second

const usage = `usage: sctpgw_echo_client [--target TARGET] [--local-address ADDRESS]
         [--stream N] [--ppid N] [--timeout SECONDS] PEER_ADDRESS PEER_PORT MESSAGE`

type arguments struct {
	target       string
	localAddress string
	stream       uint32
	ppid         uint32
	timeout      time.Duration
	peerAddress  string
	peerPort     uint32
	message      string
}

var printing sync.Mutex

// say prints one line; the event goroutine and the main one share stdout.
func say(format string, values ...interface{}) {
	printing.Lock()
	defer printing.Unlock()
	fmt.Printf(format+"\n", values...)
}

// parseCommandLine reads the options and the three operands, in any order
// (as the Python and Node.js examples take them); it exits 2 on a mistake.
func parseCommandLine(args []string) arguments {
	flags := flag.NewFlagSet("sctpgw_echo_client", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	target := flags.String("target", sctpgw.DefaultTarget, "sctpgw's gRPC address: unix:/path or host:port")
	localAddress := flags.String("local-address", "0.0.0.0", "local address to bind")
	stream := flags.Uint("stream", 0, "SCTP stream to send on")
	ppid := flags.Uint("ppid", 0, "payload protocol identifier")
	timeout := flags.Float64("timeout", 30, "seconds the whole exchange may take; every call's deadline")
	fail := func(message string) {
		fmt.Fprintf(os.Stderr, "%s\n%s\n", message, usage)
		os.Exit(2)
	}
	var operands []string
	for {
		if err := flags.Parse(args); err == flag.ErrHelp {
			fmt.Println(usage)
			os.Exit(0)
		} else if err != nil {
			fail(err.Error())
		}
		rest := flags.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			operands = append(operands, rest...) // Everything after "--".
			break
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
	if len(operands) != 3 {
		fail("expected PEER_ADDRESS PEER_PORT MESSAGE")
	}
	port, err := strconv.ParseUint(operands[1], 10, 16)
	if err != nil {
		fail("bad PEER_PORT: " + operands[1])
	}
	if *stream > 65535 || *ppid > 0xffffffff || *timeout < 0 {
		fail("--stream, --ppid or --timeout out of range")
	}
	return arguments{
		target: *target, localAddress: *localAddress, stream: uint32(*stream), ppid: uint32(*ppid),
		timeout:     time.Duration(*timeout * float64(time.Second)),
		peerAddress: operands[0], peerPort: uint32(port), message: operands[2],
	}
}

// callFailed is a failed call: "error CALL: DESCRIPTION".
type callFailed struct {
	call        string
	description string
}

func (e *callFailed) Error() string { return "error " + e.call + ": " + e.description }

func failed(call string, err error) error {
	return &callFailed{call, err.Error()}
}

// eventLine is one line per event: "event WHAT association ID".
func eventLine(event *pb.Event) string {
	var what string
	switch kind := event.GetKind().(type) {
	case *pb.Event_AssociationChange:
		change := kind.AssociationChange
		what = strings.TrimPrefix(change.GetType().String(), "ASSOCIATION_CHANGE_TYPE_")
		if change.GetError() != 0 {
			what += fmt.Sprintf(" error %d", change.GetError())
		}
	case *pb.Event_PeerAddressChange:
		change := kind.PeerAddressChange
		what = "PEER_ADDRESS_" + strings.TrimPrefix(change.GetType().String(), "PEER_ADDRESS_CHANGE_TYPE_") +
			" " + change.GetAddress().GetIp()
	default:
		name := sctpgw.EventKind(event)
		if name == "" {
			name = "unknown"
		}
		what = strings.ToUpper(name)
	}
	line := fmt.Sprintf("event %s association %d", what, event.GetAssociationId())
	if event.GetDetail() != "" {
		line += " (" + event.GetDetail() + ")"
	}
	return line
}

// watcher reads the session's event stream (the library's, which resumes
// by itself after a break) on a goroutine and prints each event; the main
// goroutine waits on what it has seen, each wait with a deadline.
type watcher struct {
	stream  *sctpgw.EventStream
	done    chan struct{}
	mu      sync.Mutex
	changed chan struct{}
	events  []*pb.Event
	err     error
}

func watch(ctx context.Context, client *sctpgw.Client) (*watcher, error) {
	w := &watcher{stream: client.Events(context.Background(), nil), done: make(chan struct{}),
		changed: make(chan struct{})}
	// Acknowledged: no event of what follows can be missed.
	if _, err := w.stream.Start(ctx); err != nil {
		return nil, failed("WatchEvents", err)
	}
	go w.read()
	return w, nil
}

func (w *watcher) read() {
	defer close(w.done)
	for {
		event, err := w.stream.Next()
		w.mu.Lock()
		if err == nil {
			say("%s", eventLine(event))
			w.events = append(w.events, event)
		} else if err != io.EOF { // io.EOF: stopped.
			w.err = failed("WatchEvents", err)
		}
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitAssociationEnd waits until SHUTDOWN_COMP or COMM_LOST of the
// association.
func (w *watcher) waitAssociationEnd(associationID uint64, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		w.mu.Lock()
		for _, event := range w.events {
			change := event.GetAssociationChange()
			if event.GetAssociationId() == associationID && change != nil &&
				(change.GetType() == pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP ||
					change.GetType() == pb.AssociationChangeType_ASSOCIATION_CHANGE_TYPE_COMM_LOST) {
				w.mu.Unlock()
				return nil
			}
		}
		err, changed := w.err, w.changed
		w.mu.Unlock()
		if err != nil {
			return err
		}
		select {
		case <-changed:
		case <-timer.C:
			return &callFailed{"waiting for the association's end", "DEADLINE_EXCEEDED: not before the deadline"}
		}
	}
}

func (w *watcher) stop() {
	w.stream.Close()
	<-w.done
}

// exchange is the session's life after OpenSession.
func exchange(ctx context.Context, args arguments, client *sctpgw.Client) (err error) {
	deadline, _ := ctx.Deadline()
	var events *watcher
	defer func() {
		if err == nil {
			return
		}
		if events != nil {
			events.stop()
		}
		// Ends at once whatever the session holds; its own deadline.
		closing, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		client.CloseContext(closing)
	}()
	if events, err = watch(ctx, client); err != nil {
		return err
	}
	endpoint, err := client.OpenEndpoint(ctx, []string{args.localAddress}, 0, nil)
	if err != nil {
		return failed("OpenEndpoint", err)
	}
	association, err := client.Associate(ctx, endpoint.GetEndpointId(), []string{args.peerAddress}, args.peerPort, nil)
	if err != nil {
		return failed("Associate", err)
	}
	associationID := association.GetAssociationId()
	say("associated %d: %s:%d -> %s:%d", associationID, args.localAddress, endpoint.GetPort(),
		args.peerAddress, args.peerPort)
	if err := client.Send(ctx, associationID, []byte(args.message),
		&sctpgw.SendOptions{Stream: args.stream, PPID: args.ppid}); err != nil {
		return failed("Send", err)
	}
	reply, err := client.Receive(ctx, associationID, &sctpgw.ReceiveOptions{MaxMessages: 1})
	if err != nil {
		return failed("Receive", err)
	}
	if len(reply) == 0 { // The library's Receive answers nothing at the deadline.
		return &callFailed{"Receive", "DEADLINE_EXCEEDED: nothing received before the deadline"}
	}
	for _, message := range reply {
		say("received stream=%d ppid=%d: %s", message.GetStream(), message.GetPpid(),
			strings.ToValidUTF8(string(message.GetPayload()), "\uFFFD"))
	}
	if err := client.Shutdown(ctx, associationID); err != nil {
		return failed("Shutdown", err)
	}
	if err := events.waitAssociationEnd(associationID, deadline); err != nil {
		return err
	}
	events.stop()
	events = nil
	if err := client.CloseContext(ctx); err != nil {
		return failed("CloseSession", err)
	}
	say("session closed")
	return nil
}

func run() int {
	args := parseCommandLine(os.Args[1:])
	ctx, cancel := context.WithTimeout(context.Background(), args.timeout)
	defer cancel()
	client, err := sctpgw.Dial(ctx, args.target, sctpgw.WithClientName("go-echo"), sctpgw.WithTimeout(args.timeout))
	if err != nil {
		say("%s", failed("OpenSession", err))
		return 1
	}
	if err := exchange(ctx, args, client); err != nil {
		var call *callFailed
		if !errors.As(err, &call) {
			call = &callFailed{"exchange", err.Error()}
		}
		say("%s", call)
		return 1
	}
	return 0
}

func main() {
	os.Exit(run())
}
