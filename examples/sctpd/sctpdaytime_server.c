/*
 * sctpdaytime_server: the daytime service (RFC 867) over SCTP on a GLib
 * main loop, as the old sctpd daemon's GUI daytime server ran on GDK's: the
 * loop watches libsctpd's notification socket (sctpd_getNotificationFd),
 * and each datagram read from it goes to dispatchUAMesg(), which runs the
 * callbacks here, on the loop's thread. No window: the loop is the point.
 *
 *   sctpdaytime_server [-s LOCAL_ADDRESS]... [-p PORT] [-v] [-V]
 *
 * Every association that comes up is sent the date and time on stream 0,
 * then shut down. sctpgw's address comes from SCTPGW_TARGET.
 */
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ua.h"

#define DAYTIME_PORT 13
#define STREAMS 1

static int verbose = 0;
static int very_verbose = 0;
static unsigned int served = 0;

static void* communicationUpNotif(unsigned int assocID, int status, unsigned int noOfDestinations,
                                  unsigned short noOfInStreams, unsigned short noOfOutStreams,
                                  int supportPRSCTP, void* ulpDataPtr) {
  char text[64];
  time_t now = time(NULL);
  int result;
  (void)supportPRSCTP;
  /* ctime's format (GLib pads days with a figure space), with RFC 867's CR LF. */
  strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y\r\n", localtime(&now));
  if (very_verbose) {
    printf("communicationUp: association %u status %d destinations %u streams %u/%u\n", assocID,
           status, noOfDestinations, noOfInStreams, noOfOutStreams);
  }
  result = sctpd_send(assocID, 0, (unsigned char*)text, (unsigned int)strlen(text),
                      SCTP_GENERIC_PAYLOAD_PROTOCOL_ID, SCTP_USE_PRIMARY, SCTP_NO_CONTEXT,
                      SCTP_INFINITE_LIFETIME, SCTP_ORDERED_DELIVERY, SCTP_BUNDLING_DISABLED);
  if (result != SCTP_SUCCESS) fprintf(stderr, "sctpd_send: %d (%s)\n", result, sctpd_lastError());
  sctpd_shutdown(assocID);
  return ulpDataPtr;
}

static void communicationLostNotif(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)ulpDataPtr;
  if (verbose) printf("association %u lost (status %u)\n", assocID, status);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

static void shutdownCompleteNotif(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  ++served;
  if (verbose) printf("served association %u (%u so far)\n", assocID, served);
  fflush(stdout);
  sctpd_deleteAssociation(assocID);
}

/* The notification socket is readable: each datagram to dispatchUAMesg(). */
static gboolean notification(gint fd, GIOCondition condition, gpointer data) {
  unsigned char datagram[SCTPD_NOTIFICATION_BYTES];
  (void)condition, (void)data;
  while (recv(fd, datagram, sizeof(datagram), MSG_DONTWAIT) > 0) dispatchUAMesg(datagram);
  return G_SOURCE_CONTINUE;
}

int main(int argc, char** argv) {
  unsigned char addresses[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned int noOfAddresses = 0;
  unsigned short port = DAYTIME_PORT;
  UDP_UA_CB callbacks;
  GMainLoop* loop;
  short instance;
  int option, result;

  while ((option = getopt(argc, argv, "s:p:vV")) != -1) {
    switch (option) {
      case 's':
        if (noOfAddresses == SCTP_MAX_NUM_ADDRESSES || strlen(optarg) >= SCTP_MAX_IP_LEN) return 2;
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
  callbacks.communicationUpNotif = communicationUpNotif;
  callbacks.communicationLostNotif = communicationLostNotif;
  callbacks.shutdownCompleteNotif = shutdownCompleteNotif;
  instance = sctpd_registerInstance(port, STREAMS, STREAMS, noOfAddresses, addresses, callbacks);
  if (instance <= 0) {
    fprintf(stderr, "sctpd_registerInstance: %d (%s)\n", instance, sctpd_lastError());
    return 1;
  }
  loop = g_main_loop_new(NULL, FALSE);
  g_unix_fd_add(sctpd_getNotificationFd(), G_IO_IN, notification, NULL);
  printf("daytime server on port %u (GLib main loop)\n", port);
  fflush(stdout);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  return 0;
}
