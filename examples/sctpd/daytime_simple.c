/*
 * daytime_simple: the daytime service (RFC 867) over SCTP, on libsctpd (the
 * old sctpd daemon's application library, ua.h): every association that
 * comes up is sent the date and time on stream 0, then shut down.
 *
 *   daytime_simple [-s LOCAL_ADDRESS]... [-p PORT] [-v] [-V]
 *
 * -s binds a local address (several: multi-homed; none: every address),
 * -p the port (13), -v prints each association, -V each callback too.
 * sctpgw's address comes from SCTPGW_TARGET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ua.h"

#define DAYTIME_PORT 13
#define STREAMS 1

static int verbose = 0;
static int very_verbose = 0;

static void* communicationUpNotif(unsigned int assocID, int status, unsigned int noOfDestinations,
                                  unsigned short noOfInStreams, unsigned short noOfOutStreams,
                                  int supportPRSCTP, void* ulpDataPtr) {
  char text[64];
  time_t now = time(NULL);
  int result;
  (void)supportPRSCTP;
  if (very_verbose) {
    printf("communicationUp: association %u status %d destinations %u streams %u/%u\n", assocID,
           status, noOfDestinations, noOfInStreams, noOfOutStreams);
  }
  /* ctime's format, with the CR LF of RFC 867. */
  strftime(text, sizeof(text) - 2, "%a %b %e %H:%M:%S %Y", localtime(&now));
  strcat(text, "\r\n");
  result = sctpd_send(assocID, 0, (unsigned char*)text, (unsigned int)strlen(text),
                      SCTP_GENERIC_PAYLOAD_PROTOCOL_ID, SCTP_USE_PRIMARY, SCTP_NO_CONTEXT,
                      SCTP_INFINITE_LIFETIME, SCTP_ORDERED_DELIVERY, SCTP_BUNDLING_DISABLED);
  if (result != SCTP_SUCCESS) {
    fprintf(stderr, "sctpd_send: %d (%s)\n", result, sctpd_lastError());
  }
  sctpd_shutdown(assocID);
  return ulpDataPtr;
}

static void dataArriveNotif(unsigned int assocID, unsigned int streamID, unsigned int len,
                            unsigned short streamSN, unsigned int TSN, unsigned int protoID,
                            unsigned int unordered, void* ulpDataPtr) {
  unsigned char buffer[65536];
  unsigned int length = sizeof(buffer);
  unsigned short ssn;
  unsigned int tsn;
  (void)len, (void)streamSN, (void)TSN, (void)protoID, (void)unordered, (void)ulpDataPtr;
  /* The service reads nothing: whatever comes is taken and dropped. */
  sctpd_receive(assocID, (unsigned short)streamID, buffer, &length, &ssn, &tsn, SCTP_MSG_DEFAULT);
}

static void communicationLostNotif(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)ulpDataPtr;
  if (verbose) printf("association %u lost (status %u)\n", assocID, status);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

static void shutdownCompleteNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  if (verbose) printf("served association %u\n", assocID);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

int main(int argc, char** argv) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned int noOfAddresses = 0;
  unsigned short port = DAYTIME_PORT;
  UDP_UA_CB callbacks;
  short instance;
  int option;
  int result;

  while ((option = getopt(argc, argv, "s:p:vV")) != -1) {
    switch (option) {
      case 's':
        if (noOfAddresses == SCTP_MAX_NUM_ADDRESSES || strlen(optarg) >= SCTP_MAX_IP_LEN) {
          fprintf(stderr, "too many or too long addresses\n");
          return 2;
        }
        strcpy((char*)addresses[noOfAddresses++], optarg);
        break;
      case 'p':
        port = (unsigned short)atoi(optarg);
        break;
      case 'V':
        very_verbose = 1;
        verbose = 1;
        break;
      case 'v':
        verbose = 1;
        break;
      default:
        fprintf(stderr, "usage: %s [-s LOCAL_ADDRESS]... [-p PORT] [-v] [-V]\n", argv[0]);
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
  callbacks.communicationUpNotif = communicationUpNotif;
  callbacks.communicationLostNotif = communicationLostNotif;
  callbacks.shutdownCompleteNotif = shutdownCompleteNotif;
  instance = sctpd_registerInstance(port, STREAMS, STREAMS, noOfAddresses, addresses, callbacks);
  if (instance <= 0) {
    fprintf(stderr, "sctpd_registerInstance: %d (%s)\n", instance, sctpd_lastError());
    return 1;
  }
  printf("daytime server on port %u\n", port);
  fflush(stdout);
  while (sctpd_eventLoop() >= 0) {
  }
  return 0;
}
