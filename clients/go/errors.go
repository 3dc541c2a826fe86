package sctpgw

import (
	"context"
	"errors"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// Domain is the ErrorInfo domain of sctpgw's errors.
const Domain = "sctpgw.dev"

// errorInfoType is the type URL suffix of google.rpc.ErrorInfo in a
// status's details.
const errorInfoType = "/google.rpc.ErrorInfo"

// Error is a failed sctpgw call: the gRPC code, and the reason and metadata
// of the google.rpc.ErrorInfo that sctpgw puts in the status details
// (docs/api.md, "Errors", has the table).
//
//	var e *sctpgw.Error
//	if errors.As(err, &e) && e.Reason == "STREAM_OUT_OF_RANGE" {
//		log.Print(e.Metadata["outbound_streams"])
//	}
//
// Every error the Client returns from a call is an *Error.
type Error struct {
	// Code is the canonical gRPC code.
	Code codes.Code
	// Reason is the ErrorInfo reason ("STREAM_OUT_OF_RANGE", ...); empty
	// when the error did not come from sctpgw (e.g. UNAVAILABLE because
	// nothing listens).
	Reason string
	// Domain is the ErrorInfo domain: "sctpgw.dev" for sctpgw's errors.
	Domain string
	// Metadata holds the ErrorInfo metadata ("field", "limit", "errno",
	// "accepted_messages", ...); never nil.
	Metadata map[string]string
	// Message is the status message.
	Message string
	// Call names the RPC that failed ("Associate", ...), when known.
	Call string

	status *status.Status
}

// Error returns "CODE REASON: message [key=value ...]", as sctpctl prints
// errors (the reason and the metadata only when there are some).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(CodeName(e.Code))
	if e.Reason != "" {
		b.WriteString(" ")
		b.WriteString(e.Reason)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if len(e.Metadata) > 0 {
		keys := make([]string, 0, len(e.Metadata))
		for key := range e.Metadata {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		b.WriteString(" [")
		for i, key := range keys {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(key + "=" + e.Metadata[key])
		}
		b.WriteString("]")
	}
	return b.String()
}

// GRPCStatus makes status.Code and status.FromError work on an *Error.
func (e *Error) GRPCStatus() *status.Status {
	if e.status != nil {
		return e.status
	}
	return status.New(e.Code, e.Message)
}

// Is lets errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, context.Canceled) match the codes DEADLINE_EXCEEDED and
// CANCELLED.
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return e.Code == codes.DeadlineExceeded
	case context.Canceled:
		return e.Code == codes.Canceled
	}
	return false
}

// HandedOver reports UNAVAILABLE / HANDED_OVER: a new sctpgw process took
// over and the call did nothing more than its metadata says; making it again
// is safe (the Client does so by itself within the call's deadline).
func (e *Error) HandedOver() bool {
	return e.Code == codes.Unavailable && e.Reason == "HANDED_OVER"
}

// FromError returns err as an *Error: itself if it is one (or wraps one);
// for a gRPC status error its code, message and the first ErrorInfo of its
// details; for context.DeadlineExceeded and context.Canceled those codes;
// anything else as UNKNOWN. nil stays nil. Use it on errors of calls made
// on Raw().
func FromError(err error) error {
	if err == nil {
		return nil
	}
	return toError(err, "")
}

// toError converts err (not nil) for the call named.
func toError(err error, call string) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Call == "" && call != "" {
			copied := *e
			copied.Call = call
			return &copied
		}
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newError(codes.DeadlineExceeded, "", nil, err.Error(), call)
	case errors.Is(err, context.Canceled):
		return newError(codes.Canceled, "", nil, err.Error(), call)
	}
	st, ok := status.FromError(err)
	if !ok {
		return newError(codes.Unknown, "", nil, err.Error(), call)
	}
	e = newError(st.Code(), "", nil, st.Message(), call)
	e.status = st
	for _, detail := range st.Proto().GetDetails() {
		if !strings.HasSuffix(detail.GetTypeUrl(), errorInfoType) {
			continue
		}
		// A corrupt detail must not hide the error: the code and message
		// still say what happened.
		if reason, domain, metadata, ok := decodeErrorInfo(detail.GetValue()); ok {
			e.Reason, e.Domain, e.Metadata = reason, domain, metadata
		}
		break
	}
	return e
}

func newError(code codes.Code, reason string, metadata map[string]string, message, call string) *Error {
	if metadata == nil {
		metadata = map[string]string{}
	}
	return &Error{Code: code, Reason: reason, Metadata: metadata, Message: message, Call: call}
}

// decodeErrorInfo reads a google.rpc.ErrorInfo (reason = 1, domain = 2,
// metadata = 3 as map<string, string>) straight from its wire form, so that
// the decoding does not depend on which generated google.rpc package the
// program links.
func decodeErrorInfo(b []byte) (reason, domain string, metadata map[string]string, ok bool) {
	metadata = map[string]string{}
	for len(b) > 0 {
		number, kind, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", "", nil, false
		}
		b = b[n:]
		if kind != protowire.BytesType || number < 1 || number > 3 {
			if n = protowire.ConsumeFieldValue(number, kind, b); n < 0 {
				return "", "", nil, false
			}
			b = b[n:]
			continue
		}
		value, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return "", "", nil, false
		}
		b = b[n:]
		switch number {
		case 1:
			reason = string(value)
		case 2:
			domain = string(value)
		case 3:
			key, item, entryOK := decodeMapEntry(value)
			if !entryOK {
				return "", "", nil, false
			}
			metadata[key] = item
		}
	}
	return reason, domain, metadata, true
}

// decodeMapEntry reads one map<string, string> entry (key = 1, value = 2).
func decodeMapEntry(b []byte) (key, value string, ok bool) {
	for len(b) > 0 {
		number, kind, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", "", false
		}
		b = b[n:]
		if kind != protowire.BytesType || (number != 1 && number != 2) {
			if n = protowire.ConsumeFieldValue(number, kind, b); n < 0 {
				return "", "", false
			}
			b = b[n:]
			continue
		}
		text, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return "", "", false
		}
		b = b[n:]
		if number == 1 {
			key = string(text)
		} else {
			value = string(text)
		}
	}
	return key, value, true
}

// ReasonOf returns the sctpgw reason of err ("" if err is nil or carries
// none).
func ReasonOf(err error) string {
	if err == nil {
		return ""
	}
	return toError(err, "").Reason
}

// CodeOf returns the gRPC code of err: OK for nil, UNKNOWN for an error
// that is not a gRPC status.
func CodeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return toError(err, "").Code
}

// MetadataOf returns the ErrorInfo metadata of err (empty, never nil).
func MetadataOf(err error) map[string]string {
	if err == nil {
		return map[string]string{}
	}
	return toError(err, "").Metadata
}

// IsReason reports whether err carries the sctpgw reason given.
func IsReason(err error, reason string) bool {
	return err != nil && ReasonOf(err) == reason
}

var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// CodeName returns a code's canonical name as the gRPC specification (and
// sctpctl, and the other client libraries) spell it: "INVALID_ARGUMENT",
// "CANCELLED", ...; Go's codes.Code.String() spells them differently.
func CodeName(code codes.Code) string {
	if name, ok := codeNames[code]; ok {
		return name
	}
	return code.String()
}
