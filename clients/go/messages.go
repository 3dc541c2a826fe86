package sctpgw

import (
	"bytes"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	pb "sctpgw.dev/proto/sctpgw/v1"
)

// DefaultMaxJoinedBytes is how large the pieces of one message may grow in
// a MessageJoiner before it refuses them (MessageTooLargeError): a peer
// could otherwise send a message without end.
const DefaultMaxJoinedBytes = 64 << 20

// SendOptions are the settings of one outbound message; the zero value (or
// nil) is stream 0, PPID 0, ordered and fully reliable. docs/api.md says
// what each does.
type SendOptions struct {
	// Stream: below the association's outbound stream count.
	Stream uint32
	// PPID: the payload protocol identifier, host byte order.
	PPID uint32
	// Unordered: delivered without regard to stream order.
	Unordered bool
	// At most one PR-SCTP policy (RFC 7496): Lifetime (timed reliability,
	// whole milliseconds; 0 = reliable), MaxRetransmissions (0 = sent once)
	// or Priority (0 the most important). nil leaves a policy unset.
	Lifetime           time.Duration
	MaxRetransmissions *uint32
	Priority           *uint32
	// PeerAddress sends to that peer address instead of the primary path.
	PeerAddress string
	// Context comes back in a SEND_FAILED event.
	Context uint32
}

// Message returns the OutboundMessage of payload with opts (nil: the
// defaults), for SendBatch and SendStream.
func Message(payload []byte, opts *SendOptions) *pb.OutboundMessage {
	if opts == nil {
		opts = &SendOptions{}
	}
	lifetime := uint32(opts.Lifetime / time.Millisecond)
	if lifetime == 0 && opts.Lifetime > 0 {
		lifetime = 1
	}
	message := &pb.OutboundMessage{
		Stream:      opts.Stream,
		Ppid:        opts.PPID,
		Unordered:   opts.Unordered,
		LifetimeMs:  lifetime,
		Context:     opts.Context,
		Payload:     payload,
		PeerAddress: opts.PeerAddress,
	}
	if opts.MaxRetransmissions != nil {
		message.MaxRetransmissions = proto.Uint32(*opts.MaxRetransmissions)
	}
	if opts.Priority != nil {
		message.Priority = proto.Uint32(*opts.Priority)
	}
	return message
}

// ReplyOptions returns a received message's stream, PPID and ordering as
// the options of a reply: client.Send(ctx, m.AssociationId, data,
// sctpgw.ReplyOptions(m)).
func ReplyOptions(received *pb.InboundMessage) *SendOptions {
	return &SendOptions{Stream: received.GetStream(), PPID: received.GetPpid(), Unordered: received.GetUnordered()}
}

// IncompleteMessageError is a piece that does not continue what a
// MessageJoiner gathered for its association, stream and ordering (e.g.
// receiving began in the middle of a message); what was gathered is
// dropped.
type IncompleteMessageError struct {
	Piece *pb.InboundMessage
	// Gathered: the bytes gathered of the message the piece should have
	// continued.
	Gathered uint64
}

func (e *IncompleteMessageError) Error() string {
	if e.Piece.GetOffset() == 0 {
		return fmt.Sprintf("association %d stream %d: a new message began after %d bytes of one whose last piece never came",
			e.Piece.GetAssociationId(), e.Piece.GetStream(), e.Gathered)
	}
	return fmt.Sprintf("association %d stream %d: a piece at offset %d after %d bytes of its message",
		e.Piece.GetAssociationId(), e.Piece.GetStream(), e.Piece.GetOffset(), e.Gathered)
}

// MessageTooLargeError says that the pieces of one message exceed the
// joiner's MaxMessageBytes; they are dropped.
type MessageTooLargeError struct {
	AssociationID uint64
	Stream        uint32
	Limit         int
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("association %d stream %d: a message above %d bytes", e.AssociationID, e.Stream, e.Limit)
}

type joinKey struct {
	association uint64
	stream      uint32
	unordered   bool
}

type partialMessage struct {
	first   *pb.InboundMessage
	payload bytes.Buffer
}

// MessageJoiner joins InboundMessages delivered in pieces (docs/api.md,
// "Large incoming messages"): the pieces of one message come in order, each
// with its offset in the message and MoreFollows on all but the last;
// pieces of messages of other associations, streams or ordering may come
// between them. The zero value is ready to use; one goroutine at a time.
//
//	var joiner sctpgw.MessageJoiner
//	for _, piece := range messages {
//		whole, err := joiner.Add(piece)
//		if err != nil { ... }
//		if whole != nil { ... }
//	}
type MessageJoiner struct {
	// MaxMessageBytes bounds one joined message; 0 = DefaultMaxJoinedBytes.
	MaxMessageBytes int

	partial map[joinKey]*partialMessage
}

// Add takes the next piece and returns a whole message when one is
// complete (a message not in pieces at once, as it is), or nil while one is
// incomplete. It returns an *IncompleteMessageError for a piece that does
// not continue its message and a *MessageTooLargeError past
// MaxMessageBytes.
func (j *MessageJoiner) Add(piece *pb.InboundMessage) (*pb.InboundMessage, error) {
	key := joinKey{piece.GetAssociationId(), piece.GetStream(), piece.GetUnordered()}
	gathered := j.partial[key]
	if piece.GetOffset() == 0 && !piece.GetMoreFollows() && gathered == nil {
		return piece, nil
	}
	if j.partial == nil {
		j.partial = map[joinKey]*partialMessage{}
	}
	if piece.GetOffset() == 0 {
		if gathered != nil {
			delete(j.partial, key)
			return nil, &IncompleteMessageError{Piece: piece, Gathered: uint64(gathered.payload.Len())}
		}
		gathered = &partialMessage{first: piece}
		j.partial[key] = gathered
	} else if gathered == nil || uint64(gathered.payload.Len()) != piece.GetOffset() {
		delete(j.partial, key)
		have := uint64(0)
		if gathered != nil {
			have = uint64(gathered.payload.Len())
		}
		return nil, &IncompleteMessageError{Piece: piece, Gathered: have}
	}
	limit := j.MaxMessageBytes
	if limit <= 0 {
		limit = DefaultMaxJoinedBytes
	}
	if gathered.payload.Len()+len(piece.GetPayload()) > limit {
		delete(j.partial, key)
		return nil, &MessageTooLargeError{AssociationID: piece.GetAssociationId(), Stream: piece.GetStream(), Limit: limit}
	}
	gathered.payload.Write(piece.GetPayload())
	if piece.GetMoreFollows() {
		return nil, nil
	}
	delete(j.partial, key)
	whole := proto.Clone(gathered.first).(*pb.InboundMessage)
	whole.Payload = gathered.payload.Bytes()
	whole.MoreFollows = false
	whole.Offset = 0
	return whole, nil
}

// Pending returns how many messages are partly gathered.
func (j *MessageJoiner) Pending() int {
	return len(j.partial)
}

// Discard drops what was gathered of one association (after its end, or
// before receiving anew).
func (j *MessageJoiner) Discard(associationID uint64) {
	for key := range j.partial {
		if key.association == associationID {
			delete(j.partial, key)
		}
	}
}

// DiscardAll drops everything gathered.
func (j *MessageJoiner) DiscardAll() {
	j.partial = nil
}
