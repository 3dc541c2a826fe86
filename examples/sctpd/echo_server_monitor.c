/*
 * echo_server_monitor: an echo server that watches its paths, on libsctpd
 * (the old sctpd daemon's example of networkStatusChangeNotif). Every
 * message comes back on its stream with its payload protocol identifier;
 * associations coming up and going, and each path's state changes, are
 * printed:
 *
 *   association 1 up, 2 destination addresses
 *   path 0 (198.51.100.2) of association 1 is UNREACHABLE
 *   path 0 (198.51.100.2) of association 1 is OK
 *
 *   echo_server_monitor [-s LOCAL_ADDRESS]... [-p PORT] [-h HEARTBEAT_MS] [-v] [-V]
 *
 * -h sets every path's heartbeat interval and shortens the retransmission
 * timers (sctpd_setAssocDefaults), so that a silent path is seen within a
 * few heartbeats. sctpgw's address: SCTPGW_TARGET.
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
static unsigned int heartbeat_ms = 0;

static const char* PathStateName(unsigned short state) {
  switch (state) {
    case SCTP_PATH_OK: return "OK";
    case SCTP_PATH_UNREACHABLE: return "UNREACHABLE";
    case SCTP_PATH_ADDED: return "ADDED";
    case SCTP_PATH_REMOVED: return "REMOVED";
    case SCTP_PATH_CONFIRMED: return "CONFIRMED";
    case SCTP_PATH_UNCONFIRMED: return "UNCONFIRMED";
    default: return "?";
  }
}

static void dataArriveNotif(unsigned int assocID, unsigned int streamID, unsigned int len,
                            unsigned short streamSN, unsigned int TSN, unsigned int protoID,
                            unsigned int unordered, void* ulpDataPtr) {
  static unsigned char buffer[MAXIMUM_PAYLOAD];
  unsigned int size = sizeof(buffer);
  unsigned short ssn;
  unsigned int tsn;
  (void)len, (void)streamSN, (void)TSN, (void)ulpDataPtr;
  if (sctpd_receive(assocID, (unsigned short)streamID, buffer, &size, &ssn, &tsn,
                    SCTP_MSG_DEFAULT) != SCTP_SUCCESS) {
    return;
  }
  if (very_verbose) printf("association %u: %u bytes on stream %u\n", assocID, size, streamID);
  sctpd_send(assocID, (unsigned short)streamID, buffer, size, protoID, SCTP_USE_PRIMARY,
             SCTP_NO_CONTEXT, SCTP_INFINITE_LIFETIME,
             unordered ? SCTP_UNORDERED_DELIVERY : SCTP_ORDERED_DELIVERY, SCTP_BUNDLING_ENABLED);
}

static void networkStatusChangeNotif(unsigned int assocID, short destAddrIndex,
                                     unsigned short newState, void* ulpDataPtr) {
  SCTP_PathStatus path;
  (void)ulpDataPtr;
  memset(&path, 0, sizeof(path));
  sctpd_getPathStatus(assocID, destAddrIndex, &path);
  printf("path %d (%s) of association %u is %s\n", destAddrIndex, path.destinationAddress,
         assocID, PathStateName(newState));
  fflush(stdout);
}

static void* communicationUpNotif(unsigned int assocID, int status, unsigned int noOfDestinations,
                                  unsigned short noOfInStreams, unsigned short noOfOutStreams,
                                  int supportPRSCTP, void* ulpDataPtr) {
  (void)status, (void)supportPRSCTP;
  printf("association %u up, %u destination addresses\n", assocID, noOfDestinations);
  if (verbose) printf("association %u: streams in %u out %u\n", assocID, noOfInStreams, noOfOutStreams);
  fflush(stdout);
  if (heartbeat_ms != 0 &&
      sctpd_changeHeartBeat(assocID, SCTP_USE_PRIMARY, SCTP_HEARTBEAT_ON, heartbeat_ms) !=
          SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_changeHeartBeat: %s\n", sctpd_lastError());
  }
  return ulpDataPtr;
}

static void communicationLostNotif(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("association %u lost (status %u)\n", assocID, status);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

static void shutdownCompleteNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  printf("association %u shut down\n", assocID);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

int main(int argc, char** argv) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned int noOfAddresses = 0;
  unsigned short port = ECHO_PORT;
  UDP_UA_CB callbacks;
  short instance;
  int option, result;

  while ((option = getopt(argc, argv, "s:p:h:vV")) != -1) {
    switch (option) {
      case 's':
        if (noOfAddresses == SCTP_MAX_NUM_ADDRESSES || strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
        strcpy((char*)addresses[noOfAddresses++], optarg);
        break;
      case 'p':
        port = (unsigned short)atoi(optarg);
        break;
      case 'h':
        heartbeat_ms = (unsigned int)atoi(optarg);
        break;
      case 'V':
        very_verbose = 1;
        verbose = 1;
        break;
      case 'v':
        verbose = 1;
        break;
      default:
        fprintf(stderr, "usage: %s [-s LOCAL_ADDRESS]... [-p PORT] [-h HEARTBEAT_MS] [-v] [-V]\n",
                argv[0]);
        return 2;
    }
  }
  result = sctpd_initLibrary(0, 0);
  if (result != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_initLibrary: %d (%s)\n", result, sctpd_lastError());
    return 1;
  }
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.dataArriveNotif = dataArriveNotif;
  callbacks.networkStatusChangeNotif = networkStatusChangeNotif;
  callbacks.communicationUpNotif = communicationUpNotif;
  callbacks.communicationLostNotif = communicationLostNotif;
  callbacks.shutdownCompleteNotif = shutdownCompleteNotif;
  instance = sctpd_registerInstance(port, STREAMS, STREAMS, noOfAddresses, addresses, callbacks);
  if (instance <= 0) {
    fprintf(stderr, "sctpd_registerInstance: %d (%s)\n", instance, sctpd_lastError());
    return 1;
  }
  if (heartbeat_ms != 0) {
    /* Short timers for the instance's associations, so that a silent path
       is declared unreachable within a few heartbeats. */
    SCTP_InstanceParameters defaults;
    sctpd_getAssocDefaults((unsigned short)instance, &defaults);
    defaults.rtoMin = 100;
    defaults.rtoInitial = heartbeat_ms > 100 ? heartbeat_ms : 100;
    defaults.rtoMax = heartbeat_ms * 2 > 400 ? heartbeat_ms * 2 : 400;
    defaults.pathMaxRetransmits = 2;
    defaults.assocMaxRetransmits = 20;
    sctpd_setAssocDefaults((unsigned short)instance, &defaults);
  }
  printf("echo server monitoring its paths on port %u\n", port);
  fflush(stdout);
  while (sctpd_eventLoop() >= 0) {
  }
  return 0;
}
