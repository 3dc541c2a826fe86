package sctpgw_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The echo example (examples/go/sctpgw_echo_client, which uses the
// library) against the fake echoing as socat does: the lines and exit codes
// that tests/lab/clients_test.sh checks against the real sctpgw and socat.
// SCTPGW_GO_ECHO_CLIENT names the built program (tests/go_client_test.sh
// sets it); without it these tests are skipped.

func runExample(t *testing.T, args ...string) (int, string) {
	t.Helper()
	program := os.Getenv("SCTPGW_GO_ECHO_CLIENT")
	if program == "" {
		t.Skip("SCTPGW_GO_ECHO_CLIENT names no program")
	}
	command := exec.Command(program, args...)
	output, err := command.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		t.Logf("%s %s: status %d:\n%s", program, strings.Join(args, " "), exit.ExitCode(), output)
		return exit.ExitCode(), string(output)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s:\n%s", program, strings.Join(args, " "), output)
	return 0, string(output)
}

func lines(output string) map[string]bool {
	found := map[string]bool{}
	for _, line := range strings.Split(output, "\n") {
		found[line] = true
	}
	return found
}

func TestEchoExample(t *testing.T) {
	s := newServer(t)
	s.fake.script(func() {
		s.fake.echo = true
	})
	message := "hello from go"
	status, output := runExample(t, "--target", s.target, "--local-address", "127.0.0.1", "--stream", "1",
		"--ppid", "46", "--timeout", "10", "127.0.0.1", "4000", message)
	if status != 0 {
		t.Fatalf("exit status %d:\n%s", status, output)
	}
	found := regexp.MustCompile(`(?m)^associated (\d+): 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:4000$`).FindStringSubmatch(output)
	if found == nil {
		t.Fatalf("no association line:\n%s", output)
	}
	for _, want := range []string{"event COMM_UP association " + found[1], "received stream=0 ppid=0: " + message,
		"event SHUTDOWN_COMP association " + found[1], "session closed"} {
		if !lines(output)[want] {
			t.Fatalf("no line %q:\n%s", want, output)
		}
	}
	id, _ := strconv.ParseUint(found[1], 10, 64)
	sent := s.fake.sentTo(id)
	if len(sent) != 1 || string(sent[0].GetPayload()) != message || sent[0].GetStream() != 1 || sent[0].GetPpid() != 46 {
		t.Fatalf("sent %v", sent)
	}
	if s.fake.sessionCount() != 0 {
		t.Fatal("the session was not closed")
	}
}

func TestEchoExampleRefused(t *testing.T) {
	s := newServer(t)
	// The options may follow the operands, as with the Python example.
	status, output := runExample(t, "127.0.0.1", "9", "nobody hears this", "--target", s.target,
		"--local-address", "127.0.0.1", "--timeout", "10")
	if status != 1 {
		t.Fatalf("exit status %d:\n%s", status, output)
	}
	if !regexp.MustCompile(`(?m)^error Associate: UNAVAILABLE ASSOCIATE_FAILED: `).MatchString(output) ||
		regexp.MustCompile(`(?m)^received|panic|goroutine`).MatchString(output) {
		t.Fatalf("output:\n%s", output)
	}
	if s.fake.sessionCount() != 0 {
		t.Fatal("the session was not closed")
	}
}

func TestEchoExampleCommandLine(t *testing.T) {
	if status, output := runExample(t, "127.0.0.1", "4000"); status != 2 || !strings.Contains(output, "usage:") {
		t.Fatalf("two operands: %d\n%s", status, output)
	}
	if status, output := runExample(t, "--stream", "x", "127.0.0.1", "4000", "m"); status != 2 {
		t.Fatalf("a bad number: %d\n%s", status, output)
	}
	if status, output := runExample(t, "--help"); status != 0 || !strings.Contains(output, "PEER_ADDRESS PEER_PORT MESSAGE") {
		t.Fatalf("--help: %d\n%s", status, output)
	}
	// Nothing listens: the error of OpenSession, status 1.
	status, output := runExample(t, "--target", "unix:"+t.TempDir()+"/none.sock", "--timeout", "2", "127.0.0.1", "4000", "m")
	if status != 1 || !strings.HasPrefix(output, "error OpenSession: UNAVAILABLE") {
		t.Fatalf("nothing listening: %d\n%s", status, output)
	}
}
