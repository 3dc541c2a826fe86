package sctpgw_test

import (
	"errors"
	"testing"

	sctpgw "sctpgw.dev/client"
	pb "sctpgw.dev/proto/sctpgw/v1"
)

func piece(association uint64, stream uint32, payload string, offset uint64, more bool) *pb.InboundMessage {
	return &pb.InboundMessage{AssociationId: association, Stream: stream, Ppid: 60, Ssn: 4, Tsn: 100,
		Payload: []byte(payload), Offset: offset, MoreFollows: more}
}

func TestJoinerPassesWholeMessages(t *testing.T) {
	var joiner sctpgw.MessageJoiner
	whole := piece(1, 0, "whole", 0, false)
	got, err := joiner.Add(whole)
	if err != nil || got != whole || joiner.Pending() != 0 {
		t.Fatalf("Add: %v, %v", got, err)
	}
}

func TestJoinerJoinsInterleavedPieces(t *testing.T) {
	var joiner sctpgw.MessageJoiner
	steps := []struct {
		piece *pb.InboundMessage
		want  string
	}{
		{piece(1, 1, "ab", 0, true), ""},
		{piece(1, 2, "xy", 0, true), ""},          // another stream between
		{piece(2, 1, "other", 0, false), "other"}, // another association, whole
		{piece(1, 1, "cd", 2, true), ""},
		{piece(1, 2, "z", 2, false), "xyz"},
		{piece(1, 1, "e", 4, false), "abcde"},
	}
	for i, step := range steps {
		got, err := joiner.Add(step.piece)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if step.want == "" {
			if got != nil {
				t.Fatalf("step %d: a message too soon: %v", i, got)
			}
			continue
		}
		if got == nil || string(got.GetPayload()) != step.want || got.GetMoreFollows() || got.GetOffset() != 0 ||
			got.GetPpid() != 60 || got.GetTsn() != 100 {
			t.Fatalf("step %d: %v", i, got)
		}
	}
	if joiner.Pending() != 0 {
		t.Fatalf("%d pending", joiner.Pending())
	}
	// Unordered pieces join apart from ordered ones.
	unordered := piece(1, 1, "u", 0, true)
	unordered.Unordered = true
	joiner.Add(unordered)
	joiner.Add(piece(1, 1, "o", 0, true))
	if joiner.Pending() != 2 {
		t.Fatalf("%d pending", joiner.Pending())
	}
}

func TestJoinerRefusesPiecesThatDoNotContinue(t *testing.T) {
	var joiner sctpgw.MessageJoiner
	_, err := joiner.Add(piece(1, 0, "middle", 10, true))
	var incomplete *sctpgw.IncompleteMessageError
	if !errors.As(err, &incomplete) || incomplete.Gathered != 0 {
		t.Fatalf("a piece with nothing before it: %v", err)
	}
	joiner.Add(piece(1, 0, "abc", 0, true))
	if _, err := joiner.Add(piece(1, 0, "gap", 5, false)); !errors.As(err, &incomplete) || incomplete.Gathered != 3 {
		t.Fatalf("a gap: %v", err)
	}
	if joiner.Pending() != 0 {
		t.Fatal("the broken message was kept")
	}
	joiner.Add(piece(1, 0, "abc", 0, true))
	if _, err := joiner.Add(piece(1, 0, "new", 0, false)); !errors.As(err, &incomplete) {
		t.Fatalf("a new message before the last piece: %v", err)
	}
	if got, err := joiner.Add(piece(1, 0, "next", 0, false)); err != nil || string(got.GetPayload()) != "next" {
		t.Fatalf("after the error: %v, %v", got, err)
	}
}

func TestJoinerLimitAndDiscard(t *testing.T) {
	joiner := sctpgw.MessageJoiner{MaxMessageBytes: 5}
	joiner.Add(piece(1, 0, "abc", 0, true))
	_, err := joiner.Add(piece(1, 0, "def", 3, true))
	var large *sctpgw.MessageTooLargeError
	if !errors.As(err, &large) || large.Limit != 5 || joiner.Pending() != 0 {
		t.Fatalf("past the limit: %v", err)
	}
	joiner.Add(piece(1, 0, "a", 0, true))
	joiner.Add(piece(2, 0, "b", 0, true))
	joiner.Discard(1)
	if joiner.Pending() != 1 {
		t.Fatalf("%d pending after Discard", joiner.Pending())
	}
	joiner.DiscardAll()
	if joiner.Pending() != 0 {
		t.Fatalf("%d pending after DiscardAll", joiner.Pending())
	}
}
