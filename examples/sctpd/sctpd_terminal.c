/*
 * sctpd_terminal: the old sctpd daemon's terminal, on libsctpd. Associates
 * to a peer; every line typed is sent (stream 0 and PPID 0 unless changed),
 * every message received is printed:
 *
 *   connected: association 1, 2 destination addresses
 *   < [stream 2 ppid 7] answer from the peer
 *
 * Commands: /stream N, /ppid N, /status (the association's state and
 * primary path), /quit (a graceful shutdown, then exit; so does the end of
 * input).
 *
 *   sctpd_terminal [-s LOCAL_ADDRESS]... -d DESTINATION [-p PORT] [-v] [-V]
 *
 * sctpgw's address comes from SCTPGW_TARGET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ua.h"

#define STREAMS 16
#define MAXIMUM_PAYLOAD 65536

static int verbose = 0;
static unsigned int association = 0;
static int up = 0;
static int finished = 0;
static unsigned short stream = 0;
static unsigned int ppid = 0;
static char line[4096];

static void dataArriveNotif(unsigned int assocID, unsigned int streamID, unsigned int len,
                            unsigned short streamSN, unsigned int TSN, unsigned int protoID,
                            unsigned int unordered, void* ulpDataPtr) {
  static unsigned char buffer[MAXIMUM_PAYLOAD + 1];
  unsigned int size = MAXIMUM_PAYLOAD;
  unsigned short ssn;
  unsigned int tsn;
  (void)len, (void)streamSN, (void)TSN, (void)unordered, (void)ulpDataPtr;
  if (sctpd_receive(assocID, (unsigned short)streamID, buffer, &size, &ssn, &tsn,
                    SCTP_MSG_DEFAULT) != SCTP_SUCCESS) {
    return;
  }
  buffer[size] = '\0';
  while (size > 0 && (buffer[size - 1] == '\n' || buffer[size - 1] == '\r')) buffer[--size] = '\0';
  printf("< [stream %u ppid %u] %s\n", streamID, protoID, (char*)buffer);
  fflush(stdout);
}

static void* communicationUpNotif(unsigned int assocID, int status, unsigned int noOfDestinations,
                                  unsigned short noOfInStreams, unsigned short noOfOutStreams,
                                  int supportPRSCTP, void* ulpDataPtr) {
  (void)status, (void)supportPRSCTP;
  up = 1;
  printf("connected: association %u, %u destination addresses\n", assocID, noOfDestinations);
  if (verbose) printf("streams in %u out %u\n", noOfInStreams, noOfOutStreams);
  fflush(stdout);
  return ulpDataPtr;
}

static void communicationLostNotif(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("association %u lost (status %u)\n", assocID, status);
  sctpd_deleteAssociation(assocID);
  finished = 1;
}

static void peerShutdownReceivedNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("the peer shuts association %u down\n", assocID);
}

static void shutdownCompleteNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("association %u shut down\n", assocID);
  sctpd_deleteAssociation(assocID);
  finished = 1;
}

static void Status(void) {
  SCTP_AssociationStatus status;
  int result = sctpd_getAssocStatus(association, &status);
  if (result != SCTP_SUCCESS) {
    printf("status: %d (%s)\n", result, sctpd_lastError());
    return;
  }
  printf("association %u state %u, primary path %u (%s), streams in %u out %u, peer window %u\n",
         association, status.state, status.primaryAddressIndex,
         status.primaryDestinationAddress, status.inStreams, status.outStreams,
         status.currentReceiverWindowSize);
}

/* A chunk of standard input: each complete line is a command or a message. */
static void stdinCallback(char* buffer, int length) {
  static char pending[sizeof(line)];
  static size_t held = 0;
  char* newline;
  if (length == 0) {  /* The end of input: end the association, then exit. */
    if (up) sctpd_shutdown(association);
    else finished = 1;
    return;
  }
  if (held + (size_t)length >= sizeof(pending)) held = 0;  /* An overlong line is dropped. */
  memcpy(pending + held, buffer, (size_t)length);
  held += (size_t)length;
  pending[held] = '\0';
  while ((newline = strchr(pending, '\n')) != NULL) {
    size_t used = (size_t)(newline - pending) + 1;
    *newline = '\0';
    if (strncmp(pending, "/stream ", 8) == 0) {
      stream = (unsigned short)atoi(pending + 8);
      printf("sending on stream %u\n", stream);
    } else if (strncmp(pending, "/ppid ", 6) == 0) {
      ppid = (unsigned int)strtoul(pending + 6, NULL, 10);
      printf("sending with ppid %u\n", ppid);
    } else if (strcmp(pending, "/status") == 0) {
      Status();
    } else if (strcmp(pending, "/quit") == 0) {
      printf("bye\n");
      if (up) sctpd_shutdown(association);
      else finished = 1;
    } else if (!up) {
      printf("not connected yet\n");
    } else {
      int result = sctpd_send(association, stream, (unsigned char*)pending,
                              (unsigned int)strlen(pending), ppid, SCTP_USE_PRIMARY,
                              SCTP_NO_CONTEXT, SCTP_INFINITE_LIFETIME, SCTP_ORDERED_DELIVERY,
                              SCTP_BUNDLING_ENABLED);
      if (result != SCTP_SUCCESS) printf("send: %d (%s)\n", result, sctpd_lastError());
    }
    fflush(stdout);
    memmove(pending, pending + used, held - used + 1);
    held -= used;
  }
}

int main(int argc, char** argv) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned char destination[SCTP_MAX_IP_LEN] = "";
  unsigned int noOfAddresses = 0;
  unsigned short port = 7;
  UDP_UA_CB callbacks;
  short instance;
  int option, result;

  while ((option = getopt(argc, argv, "s:d:p:vV")) != -1) {
    switch (option) {
      case 's':
        if (noOfAddresses == SCTP_MAX_NUM_ADDRESSES || strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
        strcpy((char*)addresses[noOfAddresses++], optarg);
        break;
      case 'd':
        if (strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
        strcpy((char*)destination, optarg);
        break;
      case 'p':
        port = (unsigned short)atoi(optarg);
        break;
      case 'v':
      case 'V':
        verbose = 1;
        break;
      default:
        fprintf(stderr, "usage: %s [-s LOCAL_ADDRESS]... -d DESTINATION [-p PORT] [-v] [-V]\n",
                argv[0]);
        return 2;
    }
  }
  if (destination[0] == '\0') {
    fprintf(stderr, "-d DESTINATION is required\n");
    return 2;
  }
  result = sctpd_initLibrary(0, 0);
  if (result != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_initLibrary: %d (%s)\n", result, sctpd_lastError());
    return 1;
  }
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.dataArriveNotif = dataArriveNotif;
  callbacks.communicationUpNotif = communicationUpNotif;
  callbacks.communicationLostNotif = communicationLostNotif;
  callbacks.peerShutdownReceivedNotif = peerShutdownReceivedNotif;
  callbacks.shutdownCompleteNotif = shutdownCompleteNotif;
  instance = sctpd_registerInstance(0, STREAMS, STREAMS, noOfAddresses, addresses, callbacks);
  if (instance <= 0) {
    fprintf(stderr, "sctpd_registerInstance: %d (%s)\n", instance, sctpd_lastError());
    return 1;
  }
  association = sctpd_associate((unsigned int)instance, STREAMS, destination, port, NULL);
  if (association == 0) {
    fprintf(stderr, "sctpd_associate: %s\n", sctpd_lastError());
    return 1;
  }
  sctpd_registerStdinCallback(stdinCallback, line, sizeof(line));
  while (!finished && sctpd_eventLoop() >= 0) {
  }
  fflush(stdout);
  return 0;
}
