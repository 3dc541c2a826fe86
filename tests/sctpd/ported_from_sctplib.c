/*
 * A program written against the SCTP library's API (sctplib's sctp.h),
 * ported to libsctpd the way the old sctpd guide said: every sctp_ call
 * renamed sctpd_, SCTP_ulpCallbacks renamed UDP_UA_CB, sctp_initLibrary()
 * given the two UDP ports; nothing else changed. It must compile and link
 * against ua.h as it is (the build is the test); it uses every primitive.
 *
 *   ported_from_sctplib [PEER [PORT]]   associates, sends, prints, ends
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua.h"

static unsigned int assoc = 0;
static int done = 0;

static void dataArrive(unsigned int assocID, unsigned int streamID, unsigned int len,
                       unsigned short streamSN, unsigned int TSN, unsigned int protoID,
                       unsigned int unordered, void* ulpDataPtr) {
  unsigned char buf[SCTP_MAXIMUM_DATA_LENGTH];
  unsigned int length = sizeof(buf);
  unsigned int index = 0;
  (void)len, (void)streamSN, (void)TSN, (void)unordered, (void)ulpDataPtr;
  if (sctpd_receivefrom(assocID, (unsigned short)streamID, buf, &length, &streamSN, &TSN, &index,
                        SCTP_MSG_PEEK) == SCTP_SUCCESS &&
      sctpd_receive(assocID, (unsigned short)streamID, buf, &length, &streamSN, &TSN,
                    SCTP_MSG_DEFAULT) == SCTP_SUCCESS) {
    printf("received %u bytes on stream %u ppid %u from path %u\n", length, streamID, protoID,
           index);
  }
  sctpd_shutdown(assocID);
}

static void sendFailure(unsigned int assocID, unsigned char* unsent_data, unsigned int dataLength,
                        unsigned int* context, void* dummy) {
  unsigned char buf[SCTP_MAXIMUM_DATA_LENGTH];
  unsigned int length = sizeof(buf), tsn;
  unsigned short stream, ssn;
  unsigned int ppid;
  unsigned char flags;
  void* ctx;
  (void)unsent_data, (void)dataLength, (void)context, (void)dummy;
  while (sctpd_receiveUnsent(assocID, buf, &length, &tsn, &stream, &ssn, &ppid, &flags, &ctx) ==
         SCTP_SUCCESS) {
  }
  while (sctpd_receiveUnacked(assocID, buf, &length, &tsn, &stream, &ssn, &ppid, &flags, &ctx) ==
         SCTP_SUCCESS) {
  }
}

static void networkStatusChange(unsigned int assocID, short destAddrIndex, unsigned short newState,
                                void* ulpDataPtr) {
  SCTP_PathStatus path;
  (void)ulpDataPtr;
  if (sctpd_getPathStatus(assocID, destAddrIndex, &path) == SCTP_SUCCESS) {
    printf("path %d (%s) now %s, srtt %u\n", destAddrIndex, path.destinationAddress,
           newState == SCTP_PATH_OK ? "OK" : "UNREACHABLE", path.srtt);
    sctpd_setPathStatus(assocID, destAddrIndex, &path);
  }
}

static void* communicationUp(unsigned int assocID, int status, unsigned int noOfDestinations,
                             unsigned short instreams, unsigned short outstreams,
                             int associationSupportsPRSCTP, void* dummy) {
  SCTP_AssociationStatus assocStatus;
  unsigned short instanceID;
  unsigned char text[] = "hello";
  (void)status, (void)noOfDestinations, (void)instreams, (void)outstreams,
      (void)associationSupportsPRSCTP;
  if (sctpd_getAssocStatus(assocID, &assocStatus) == SCTP_SUCCESS) {
    assocStatus.rtoMin = 200;
    sctpd_setAssocStatus(assocID, &assocStatus);
  }
  sctpd_getInstanceID(assocID, &instanceID);
  sctpd_changeHeartBeat(assocID, 0, SCTP_HEARTBEAT_ON, 5000);
  sctpd_requestHeartbeat(assocID, 0);
  sctpd_setFailureThreshold(assocID, 8);
  sctpd_setPrimary(assocID, sctpd_getPrimary(assocID));
  printf("srtt %d\n", sctpd_getSrttReport(assocID, 0));
  sctpd_send(assocID, 0, text, sizeof(text) - 1, SCTP_GENERIC_PAYLOAD_PROTOCOL_ID,
             SCTP_USE_PRIMARY, SCTP_NO_CONTEXT, SCTP_INFINITE_LIFETIME, SCTP_ORDERED_DELIVERY,
             SCTP_BUNDLING_ENABLED);
  return dummy;
}

static void communicationLost(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)status, (void)ulpDataPtr;
  sctpd_deleteAssociation(assocID);
  done = 1;
}

static void communicationError(unsigned int assocID, unsigned short status, void* ulpDataPtr) {
  (void)assocID, (void)status, (void)ulpDataPtr;
}

static void restart(unsigned int assocID, void* ulpDataPtr) { (void)assocID, (void)ulpDataPtr; }

static void peerShutdownReceived(unsigned int assocID, void* ulpDataPtr) {
  (void)assocID, (void)ulpDataPtr;
}

static void shutdownComplete(unsigned int assocID, void* ulpDataPtr) {
  (void)ulpDataPtr;
  sctpd_deleteAssociation(assocID);
  done = 1;
}

static void queueStatusChange(unsigned int assocID, int queuetype, int queueid, int queuelen,
                              void* ulpDataPtr) {
  (void)assocID, (void)queuetype, (void)queueid, (void)queuelen, (void)ulpDataPtr;
}

static void asconfStatus(unsigned int assocID, unsigned int correlationID, int result,
                         void* request, void* ulpDataPtr) {
  (void)assocID, (void)correlationID, (void)result, (void)request, (void)ulpDataPtr;
}

static void timerRunOut(unsigned int timerID, void* parameter1, void* parameter2) {
  (void)timerID, (void)parameter1, (void)parameter2;
  if (assoc != 0) sctpd_abort(assoc);
}

static void stdinCallback(char* buffer, int length) { (void)buffer, (void)length; }

static void fdCallback(int fd, short int revents, short int* gotEvents, void* dummy) {
  (void)fd, (void)revents, (void)gotEvents, (void)dummy;
}

int main(int argc, char** argv) {
  UDP_UA_CB ulpCallbacks;
  SCTP_InstanceParameters instanceParameters;
  SCTP_LibraryParameters libraryParameters;
  unsigned char localAddressList[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN];
  unsigned char destinationAddress[SCTP_MAX_IP_LEN];
  unsigned char destinationAddresses[1][SCTP_MAX_IP_LEN];
  char stdinBuffer[256];
  unsigned short instance;
  unsigned int timer;

  strcpy((char*)localAddressList[0], "127.0.0.1");
  strcpy((char*)destinationAddress, argc > 1 ? argv[1] : "127.0.0.1");
  strcpy((char*)destinationAddresses[0], (char*)destinationAddress);

  ulpCallbacks.dataArriveNotif = &dataArrive;
  ulpCallbacks.sendFailureNotif = &sendFailure;
  ulpCallbacks.networkStatusChangeNotif = &networkStatusChange;
  ulpCallbacks.communicationUpNotif = &communicationUp;
  ulpCallbacks.communicationLostNotif = &communicationLost;
  ulpCallbacks.communicationErrorNotif = &communicationError;
  ulpCallbacks.restartNotif = &restart;
  ulpCallbacks.peerShutdownReceivedNotif = &peerShutdownReceived;
  ulpCallbacks.shutdownCompleteNotif = &shutdownComplete;
  ulpCallbacks.queueStatusChangeNotif = &queueStatusChange;
  ulpCallbacks.asconfStatusNotif = &asconfStatus;

  if (sctpd_initLibrary(0, 0) != SCTP_SUCCESS) return 1;
  printf("library version %x\n", sctpd_getLibraryVersion());
  sctpd_getLibraryParameters(&libraryParameters);
  libraryParameters.checksumAlgorithm = SCTP_CHECKSUM_ALGORITHM_CRC32C;
  sctpd_setLibraryParameters(&libraryParameters);
  instance = sctpd_registerInstance(0, 10, 10, 1, localAddressList, ulpCallbacks);
  sctpd_getAssocDefaults(instance, &instanceParameters);
  instanceParameters.rtoInitial = 1000;
  sctpd_setAssocDefaults(instance, &instanceParameters);

  sctpd_registerStdinCallback(&stdinCallback, stdinBuffer, sizeof(stdinBuffer));
  sctpd_registerUserCallback(0, &fdCallback, NULL, 0);
  sctpd_unregisterUserCallback(0);
  timer = sctpd_startTimer(30, 0, &timerRunOut, NULL, NULL);
  timer = sctpd_restartTimer(timer, 30, 0);

  if (argc > 3) {
    assoc = sctpd_associatex(instance, 10, destinationAddresses, 1, 1,
                             (unsigned short)atoi(argc > 2 ? argv[2] : "7"), NULL);
  } else {
    assoc = sctpd_associate(instance, 10, destinationAddress,
                            (unsigned short)atoi(argc > 2 ? argv[2] : "7"), NULL);
  }
  while (!done && sctpd_eventLoop() >= 0) {
  }
  sctpd_getEvents();
  {
    /* The loop for programs that lock around callbacks, and the notification
       socket for programs with a loop of their own. */
    int (*extended)(void (*)(void*), void (*)(void*), void*) = sctpd_extendedEventLoop;
    (void)extended;
    printf("notification socket %d\n", sctpd_getNotificationFd() >= 0);
  }
  sctpd_stopTimer(timer);
  sctpd_unregisterStdinCallback();
  sctpd_unregisterInstance(instance);
  printf("%s\n", sctpd_lastError());
  return dispatchUAMesg(NULL) == SCTP_PARAMETER_PROBLEM ? 0 : 1;
}
