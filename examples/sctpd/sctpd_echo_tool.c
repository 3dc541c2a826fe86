/*
 * sctpd_echo_tool: the echo tool of the old sctpd daemon, on libsctpd
 * (ua.h). Without -d it is an echo server: every message comes back on the
 * stream and with the payload protocol identifier it came with. With -d it
 * associates to the destination, sends NUMBER messages of LENGTH bytes on
 * stream 0, counts the ones that come back, shuts down and exits 0 when all
 * came back.
 *
 *   sctpd_echo_tool [-s LOCAL_ADDRESS]... [-p PORT] [-d DESTINATION [-r REMOTE_PORT]
 *                    [-l LENGTH] [-n NUMBER]] [-v] [-V]
 *
 * -p is the local port (7 for the server, any for the client), -r the
 * destination's (7). sctpgw's address comes from SCTPGW_TARGET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ua.h"

#define ECHO_PORT 7
#define STREAMS 16
#define MAXIMUM_PAYLOAD 65536

static int verbose = 0;
static int very_verbose = 0;
static int client = 0;
static unsigned int to_send = 1;
static unsigned int length = 64;
static unsigned int received = 0;
static int finished = 0;

static void dataArriveNotif(unsigned int assocID, unsigned int streamID, unsigned int len,
                            unsigned short streamSN, unsigned int TSN, unsigned int protoID,
                            unsigned int unordered, void* ulpDataPtr) {
  static unsigned char buffer[MAXIMUM_PAYLOAD];
  unsigned int size = sizeof(buffer);
  unsigned short ssn;
  unsigned int tsn;
  int result;
  (void)len, (void)ulpDataPtr;
  result = sctpd_receive(assocID, (unsigned short)streamID, buffer, &size, &ssn, &tsn,
                         SCTP_MSG_DEFAULT);
  if (result != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_receive: %d (%s)\n", result, sctpd_lastError());
    return;
  }
  if (very_verbose) {
    printf("data: association %u stream %u ssn %u tsn %u ppid %u %u bytes%s\n", assocID,
           streamID, streamSN, TSN, protoID, size, unordered ? " unordered" : "");
  }
  if (client) {
    received += size;  /* An echo may come back in several reads of the peer. */
    if (received >= to_send * length) sctpd_shutdown(assocID);
    return;
  }
  result = sctpd_send(assocID, (unsigned short)streamID, buffer, size, protoID, SCTP_USE_PRIMARY,
                      SCTP_NO_CONTEXT, SCTP_INFINITE_LIFETIME,
                      unordered ? SCTP_UNORDERED_DELIVERY : SCTP_ORDERED_DELIVERY,
                      SCTP_BUNDLING_ENABLED);
  if (result != SCTP_SUCCESS) fprintf(stderr, "sctpd_send: %d (%s)\n", result, sctpd_lastError());
}

static void* communicationUpNotif(unsigned int assocID, int status, unsigned int noOfDestinations,
                                  unsigned short noOfInStreams, unsigned short noOfOutStreams,
                                  int supportPRSCTP, void* ulpDataPtr) {
  unsigned char payload[MAXIMUM_PAYLOAD];
  unsigned int i;
  (void)supportPRSCTP;
  if (verbose) {
    printf("association %u up (status %d, %u destinations, streams in %u out %u)\n", assocID,
           status, noOfDestinations, noOfInStreams, noOfOutStreams);
    fflush(stdout);
  }
  if (client) {
    memset(payload, 'x', length);
    for (i = 0; i < to_send; ++i) {
      int result = sctpd_send(assocID, 0, payload, length, SCTP_GENERIC_PAYLOAD_PROTOCOL_ID,
                              SCTP_USE_PRIMARY, SCTP_NO_CONTEXT, SCTP_INFINITE_LIFETIME,
                              SCTP_ORDERED_DELIVERY, SCTP_BUNDLING_ENABLED);
      if (result != SCTP_SUCCESS) {
        fprintf(stderr, "sctpd_send: %d (%s)\n", result, sctpd_lastError());
        sctpd_abort(assocID);
        break;
      }
    }
  }
  return ulpDataPtr;
}

static void communicationLostNotif(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("association %u lost (status %u)\n", assocID, status);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
  if (client) finished = 1;
}

static void shutdownCompleteNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  if (verbose) printf("association %u shut down\n", assocID);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
  if (client) finished = 1;
}

static void peerShutdownReceivedNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  if (very_verbose) printf("association %u: the peer shuts down\n", assocID);
}

int main(int argc, char** argv) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned char destination[SCTP_MAX_IP_LEN];
  unsigned int noOfAddresses = 0;
  unsigned short port = 0, remote_port = ECHO_PORT;
  int port_given = 0;
  UDP_UA_CB callbacks;
  short instance;
  int option, result;

  while ((option = getopt(argc, argv, "s:p:d:r:l:n:vV")) != -1) {
    switch (option) {
      case 's':
        if (noOfAddresses == SCTP_MAX_NUM_ADDRESSES || strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
        strcpy((char*)addresses[noOfAddresses++], optarg);
        break;
      case 'p':
        port = (unsigned short)atoi(optarg);
        port_given = 1;
        break;
      case 'd':
        if (strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
        strcpy((char*)destination, optarg);
        client = 1;
        break;
      case 'r':
        remote_port = (unsigned short)atoi(optarg);
        break;
      case 'l':
        length = (unsigned int)atoi(optarg);
        break;
      case 'n':
        to_send = (unsigned int)atoi(optarg);
        break;
      case 'V':
        very_verbose = 1;
        verbose = 1;
        break;
      case 'v':
        verbose = 1;
        break;
      default:
        fprintf(stderr,
                "usage: %s [-s LOCAL_ADDRESS]... [-p PORT] [-d DESTINATION [-r REMOTE_PORT] "
                "[-l LENGTH] [-n NUMBER]] [-v] [-V]\n",
                argv[0]);
        return 2;
    }
  }
  if (length == 0 || length > MAXIMUM_PAYLOAD) {
    fprintf(stderr, "-l: 1..%d bytes\n", MAXIMUM_PAYLOAD);
    return 2;
  }
  if (!client && !port_given) port = ECHO_PORT;

  result = sctpd_initLibrary(0, 0);
  if (result != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_initLibrary: %d (%s)\n", result, sctpd_lastError());
    return 1;
  }
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.dataArriveNotif = dataArriveNotif;
  callbacks.communicationUpNotif = communicationUpNotif;
  callbacks.communicationLostNotif = communicationLostNotif;
  callbacks.shutdownCompleteNotif = shutdownCompleteNotif;
  callbacks.peerShutdownReceivedNotif = peerShutdownReceivedNotif;
  instance = sctpd_registerInstance(port, STREAMS, STREAMS, noOfAddresses, addresses, callbacks);
  if (instance <= 0) {
    fprintf(stderr, "sctpd_registerInstance: %d (%s)\n", instance, sctpd_lastError());
    return 1;
  }
  if (!client) {
    printf("echo server on port %u\n", port);
    fflush(stdout);
    while (sctpd_eventLoop() >= 0) {
    }
    return 0;
  }
  if (sctpd_associate((unsigned int)instance, STREAMS, destination, remote_port, NULL) == 0) {
    fprintf(stderr, "sctpd_associate: %s\n", sctpd_lastError());
    return 1;
  }
  while (!finished && sctpd_eventLoop() >= 0) {
  }
  printf("received %u of %u bytes\n", received, to_send * length);
  return received >= to_send * length ? 0 : 1;
}
