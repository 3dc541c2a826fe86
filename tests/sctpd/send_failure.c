/*
 * libsctpd's failed sends, as the SCTP library reported them: a program that
 * associates, waits for "go" on standard input (the test silences the link
 * meanwhile), sends COUNT messages with a context pointer each, aborts, and
 * prints what came back: each sendFailureNotif, then each message taken
 * with sctpd_receiveUnacked()/sctpd_receiveUnsent(), with its stream, PPID,
 * length, context and whether its bytes are those sent. Ends with "done"
 * once every message is back (exit 0), or exits 2 after 60 s.
 *
 *   sctpd_send_failure PEER PORT COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua.h"

#define MAX_MESSAGES 16
#define MESSAGE_BYTES 1000

static unsigned int assoc = 0;
static int count = 0;
static int returned = 0;
static int contexts[MAX_MESSAGES];

/* Message i's bytes: i + 'a', repeated. */
static void fill(unsigned char* data, int i) { memset(data, 'a' + i, MESSAGE_BYTES); }

static int context_index(void* context) {
  int i;
  for (i = 0; i < MAX_MESSAGES; ++i) {
    if (context == &contexts[i]) return i;
  }
  return -1;
}

static void take_back(unsigned int assocID, int unacked) {
  unsigned char data[SCTP_MAXIMUM_DATA_LENGTH];
  unsigned char expected[MESSAGE_BYTES];
  unsigned int length = sizeof(data), tsn = 0, ppid = 0;
  unsigned short stream = 0, ssn = 0;
  unsigned char flags = 0;
  void* context = NULL;
  while ((unacked ? sctpd_receiveUnacked : sctpd_receiveUnsent)(
             assocID, data, &length, &tsn, &stream, &ssn, &ppid, &flags, &context) ==
         SCTP_SUCCESS) {
    int i = context_index(context);
    int same = 0;
    if (i >= 0 && length == MESSAGE_BYTES) {
      fill(expected, i);
      same = memcmp(data, expected, MESSAGE_BYTES) == 0;
    }
    printf("%s stream=%u ppid=%u len=%u context=%d same=%d\n", unacked ? "unacked" : "unsent",
           stream, ppid, length, i, same);
    ++returned;
    length = sizeof(data);
  }
}

static void sendFailure(unsigned int assocID, unsigned char* data, unsigned int length,
                        unsigned int* context, void* ulp) {
  (void)data, (void)ulp;
  printf("sendFailure len=%u context=%d\n", length, context_index(context));
  take_back(assocID, 1);
  take_back(assocID, 0);
  fflush(stdout);
}

static void* communicationUp(unsigned int assocID, int status, unsigned int paths,
                             unsigned short in, unsigned short out, int prsctp, void* ulp) {
  (void)assocID, (void)status, (void)paths, (void)in, (void)out, (void)prsctp;
  printf("up\n");
  fflush(stdout);
  return ulp;
}

static void communicationLost(unsigned int assocID, unsigned short status, void* ulp) {
  (void)assocID, (void)ulp;
  printf("lost status=%u\n", status);
  fflush(stdout);
}

static void stdinLine(char* buffer, int length) {
  unsigned char data[MESSAGE_BYTES];
  int i;
  if (length <= 0 || strncmp(buffer, "go", 2) != 0) return;
  for (i = 0; i < count; ++i) {
    fill(data, i);
    if (sctpd_send(assoc, 1, data, MESSAGE_BYTES, 46, SCTP_USE_PRIMARY, &contexts[i],
                   SCTP_INFINITE_LIFETIME, SCTP_ORDERED_DELIVERY, SCTP_BUNDLING_ENABLED) !=
        SCTP_SUCCESS) {
      printf("send %d failed: %s\n", i, sctpd_lastError());
    }
  }
  printf("sent %d, abort %d\n", count, sctpd_abort(assoc));
  fflush(stdout);
}

static void giveUp(unsigned int timer, void* p1, void* p2) {
  (void)timer, (void)p1, (void)p2;
  printf("timed out with %d of %d back\n", returned, count);
  exit(2);
}

int main(int argc, char** argv) {
  UDP_UA_CB callbacks;
  unsigned char local[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned char peer[SCTP_MAX_IP_LEN];
  char line[64];
  short instance;

  if (argc != 4) {
    fprintf(stderr, "usage: %s PEER PORT COUNT\n", argv[0]);
    return 1;
  }
  count = atoi(argv[3]);
  if (count < 1 || count > MAX_MESSAGES) return 1;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.sendFailureNotif = &sendFailure;
  callbacks.communicationUpNotif = &communicationUp;
  callbacks.communicationLostNotif = &communicationLost;
  memset(local, 0, sizeof(local));
  strcpy((char*)local[0], "127.0.0.1");
  memset(peer, 0, sizeof(peer));
  strncpy((char*)peer, argv[1], SCTP_MAX_IP_LEN - 1);

  if (sctpd_initLibrary(0, 0) != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_initLibrary: %s\n", sctpd_lastError());
    return 1;
  }
  instance = sctpd_registerInstance(0, 4, 4, 1, local, callbacks);
  if (instance <= 0) return 1;
  assoc = sctpd_associate((unsigned int)instance, 4, peer, (unsigned short)atoi(argv[2]), NULL);
  if (assoc == 0) return 1;
  sctpd_registerStdinCallback(&stdinLine, line, sizeof(line));
  sctpd_startTimer(60, 0, &giveUp, NULL, NULL);
  while (returned < count && sctpd_eventLoop() >= 0) {
  }
  printf("done\n");
  return 0;
}
