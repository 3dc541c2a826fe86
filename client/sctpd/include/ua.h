/*
 * ua.h: the application library of the old sctpd daemon (sctpdlib), over
 * sctpgw. A program written for the SCTP library's API (sctplib's sctp.h)
 * ports by renaming its calls from sctp_ to sctpd_ and SCTP_ulpCallbacks to
 * UDP_UA_CB: the parameter lists, return codes, constants and structures
 * are the SCTP library's. docs/sctpd.md says what is the same, what is
 * adapted and what is accepted and unused.
 *
 * Callbacks run only on the application's thread: inside sctpd_eventLoop()
 * / sctpd_getEvents(), or inside dispatchUAMesg() for an application whose
 * own loop watches sctpd_getNotificationFd() and passes each datagram read
 * from it to dispatchUAMesg().
 *
 * Link with libsctpd (pkg-config libsctpd). sctpgw's address comes from
 * SCTPGW_TARGET (default unix:/run/sctpgw/sctpgw.sock).
 */
#ifndef SCTPGW_UA_H
#define SCTPGW_UA_H

#ifdef __cplusplus
extern "C" {
#endif

#define SCTPD_MAJOR_VERSION 1
#define SCTPD_MINOR_VERSION 0

/* Longest numeric IPv4 or IPv6 address string, with its NUL. */
#define SCTP_MAX_IP_LEN 46
/* Addresses of one endpoint at most. */
#define SCTP_MAX_NUM_ADDRESSES 20
/* A message that fits one packet on Ethernet (advice only). */
#define SCTP_MAXIMUM_DATA_LENGTH 1400

/* Association states (SCTP_AssociationStatus.state). */
#define SCTP_CLOSED 0
#define SCTP_COOKIE_WAIT 1
#define SCTP_COOKIE_ECHOED 2
#define SCTP_ESTABLISHED 3
#define SCTP_SHUTDOWN_PENDING 4
#define SCTP_SHUTDOWN_RECEIVED 5
#define SCTP_SHUTDOWN_SENT 6
#define SCTP_SHUTDOWNACK_SENT 7

/* Path states (networkStatusChangeNotif, SCTP_PathStatus.state). */
#define SCTP_PATH_OK 0
#define SCTP_PATH_UNREACHABLE 1
#define SCTP_PATH_ADDED 2
#define SCTP_PATH_REMOVED 3
#define SCTP_PATH_CONFIRMED 4
#define SCTP_PATH_UNCONFIRMED 5

/* sctpd_changeHeartBeat() */
#define SCTP_HEARTBEAT_ON 1
#define SCTP_HEARTBEAT_OFF 0

/* sctpd_send() */
#define SCTP_UNORDERED_DELIVERY 1
#define SCTP_ORDERED_DELIVERY 0
#define SCTP_BUNDLING_ENABLED 0
#define SCTP_BUNDLING_DISABLED 1
#define SCTP_USE_PRIMARY -1
#define SCTP_INFINITE_LIFETIME 0xFFFFFFFF
#define SCTP_NO_RETRANSMISSION 0
#define SCTP_SEND_RELIABLE SCTP_INFINITE_LIFETIME
#define SCTP_NO_CONTEXT NULL
#define SCTP_GENERIC_PAYLOAD_PROTOCOL_ID 0

/* sctpd_receive() */
#define SCTP_MSG_DEFAULT 0x00
#define SCTP_MSG_PEEK 0x02

/* SCTP_LibraryParameters.checksumAlgorithm */
#define SCTP_CHECKSUM_ALGORITHM_CRC32C 0x1
#define SCTP_CHECKSUM_ALGORITHM_ADLER32 0x2

/* Return codes. */
#define SCTP_SUCCESS 0
#define SCTP_LIBRARY_NOT_INITIALIZED -1
#define SCTP_INSTANCE_NOT_FOUND -2
#define SCTP_ASSOC_NOT_FOUND -3
#define SCTP_PARAMETER_PROBLEM -4
#define SCTP_MODULE_NOT_FOUND -5
#define SCTP_OUT_OF_RESOURCES -6
#define SCTP_NOT_SUPPORTED -7
#define SCTP_INSUFFICIENT_PRIVILEGES -8
#define SCTP_LIBRARY_ALREADY_INITIALIZED -9
#define SCTP_UNSPECIFIED_ERROR -10
#define SCTP_QUEUE_EXCEEDED -11
#define SCTP_WRONG_ADDRESS -12
#define SCTP_WRONG_STATE -13
#define SCTP_BUFFER_TOO_SMALL -14
#define SCTP_NO_CHUNKS_IN_QUEUE -15
#define SCTP_SPECIFIC_FUNCTION_ERROR 1

/* communicationLostNotif's status. */
#define SCTP_COMM_LOST_ABORTED 1
#define SCTP_COMM_LOST_ENDPOINT_UNREACHABLE 2
#define SCTP_COMM_LOST_EXCEEDED_RETRANSMISSIONS 3
#define SCTP_COMM_LOST_NO_TCB 4
#define SCTP_COMM_LOST_INVALID_PARAMETER 8
#define SCTP_COMM_LOST_FAILURE 9
#define SCTP_SHUTDOWN_COMPLETE 10

/* communicationUpNotif's status. */
#define SCTP_COMM_UP_RECEIVED_VALID_COOKIE 1
#define SCTP_COMM_UP_RECEIVED_COOKIE_ACK 2
#define SCTP_COMM_UP_RECEIVED_COOKIE_RESTART 3

/* queueStatusChangeNotif's queue type. */
#define SCTP_SEND_QUEUE 1

/* The application's callbacks, one set per instance (SCTP_ulpCallbacks). The
   last argument of each is the ULP data that communicationUpNotif returned
   for the association. A NULL member is not called. */
typedef struct UDP_UA_CB {
  /* A message arrived: association, stream, length, stream sequence number,
     TSN, payload protocol id, unordered (1) or not; fetch it with
     sctpd_receive(). */
  void (*dataArriveNotif)(unsigned int, unsigned int, unsigned int, unsigned short, unsigned int,
                          unsigned int, unsigned int, void*);
  /* A message could not be sent: association, its data, length, the context
     given to sctpd_send(). */
  void (*sendFailureNotif)(unsigned int, unsigned char*, unsigned int, unsigned int*, void*);
  /* A path changed: association, destination address index, new state. */
  void (*networkStatusChangeNotif)(unsigned int, short, unsigned short, void*);
  /* An association is up: association, status, number of destination
     addresses, inbound and outbound streams, PR-SCTP supported (1). Returns
     the ULP data passed to the association's later callbacks. */
  void* (*communicationUpNotif)(unsigned int, int, unsigned int, unsigned short, unsigned short,
                                int, void*);
  /* The association was lost: association, status (SCTP_COMM_LOST_...). */
  void (*communicationLostNotif)(unsigned int, unsigned short, void*);
  /* The peer reported an error: association, cause code. */
  void (*communicationErrorNotif)(unsigned int, unsigned short, void*);
  /* The peer restarted. */
  void (*restartNotif)(unsigned int, void*);
  /* The peer began a graceful shutdown: send no more. */
  void (*peerShutdownReceivedNotif)(unsigned int, void*);
  /* A graceful shutdown completed. */
  void (*shutdownCompleteNotif)(unsigned int, void*);
  /* A queue crossed a limit: association, queue type, queue id, length. */
  void (*queueStatusChangeNotif)(unsigned int, int, int, int, void*);
  /* An ASCONF request completed: association, correlation id, result,
     request data. */
  void (*asconfStatusNotif)(unsigned int, unsigned int, int, void*, void*);
} UDP_UA_CB;

/* Library-wide settings (sctpd_setLibraryParameters). */
typedef struct SCTP_Library_Parameters {
  int sendOotbAborts;
  int checksumAlgorithm;
  int supportPRSCTP;
  int supportADDIP;
} SCTP_LibraryParameters;

/* An instance's defaults for its associations (sctpd_setAssocDefaults). */
typedef struct SCTP_Instance_Parameters {
  unsigned int noOfLocalAddresses;                                  /* get */
  unsigned char localAddressList[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN]; /* get */
  unsigned int rtoInitial;
  unsigned int rtoMin;
  unsigned int rtoMax;
  unsigned int validCookieLife;
  unsigned short outStreams;
  unsigned short inStreams;
  unsigned int supportUnreliableStreams;
  unsigned int supportADDIP;
  unsigned int assocMaxRetransmits;
  unsigned int pathMaxRetransmits;
  unsigned int maxInitRetransmits;
  unsigned int myRwnd;
  unsigned int delay;
  unsigned char ipTos;
  unsigned int maxSendQueue;
  unsigned int maxRecvQueue;
  unsigned int maxNumberOfAssociations;
} SCTP_InstanceParameters;

/* One association (sctpd_getAssocStatus); the fields marked set may be
   changed with sctpd_setAssocStatus. */
typedef struct SCTP_Association_Status {
  unsigned short state;
  unsigned short numberOfAddresses;
  unsigned char primaryDestinationAddress[SCTP_MAX_IP_LEN];
  unsigned short sourcePort;
  unsigned short destPort;
  unsigned short outStreams;
  unsigned short inStreams;
  unsigned int supportUnreliableStreams;
  unsigned int supportADDIP;
  unsigned short primaryAddressIndex; /* set */
  unsigned int currentReceiverWindowSize;
  unsigned int outstandingBytes;
  unsigned int noOfChunksInSendQueue;
  unsigned int noOfChunksInRetransmissionQueue;
  unsigned int noOfChunksInReceptionQueue;
  unsigned int rtoInitial;          /* set */
  unsigned int rtoMin;              /* set */
  unsigned int rtoMax;              /* set */
  unsigned int validCookieLife;     /* set: accepted, unused */
  unsigned int assocMaxRetransmits; /* set */
  unsigned int pathMaxRetransmits;  /* set */
  unsigned int maxInitRetransmits;  /* set: accepted, unused */
  unsigned int myRwnd;              /* set: accepted, unused */
  unsigned int delay;               /* set */
  unsigned char ipTos;              /* set: accepted, unused */
  unsigned int maxSendQueue;
  unsigned int maxRecvQueue;
} SCTP_AssociationStatus;

/* One path (sctpd_getPathStatus). */
typedef struct SCTP_Path_Status {
  unsigned char destinationAddress[SCTP_MAX_IP_LEN];
  short state; /* SCTP_PATH_OK or SCTP_PATH_UNREACHABLE */
  unsigned int srtt;
  unsigned int rto;
  unsigned int rttvar;
  unsigned int heartbeatIntervall;
  unsigned int cwnd;
  unsigned int cwnd2;
  unsigned int partialBytesAcked;
  unsigned int ssthresh;
  unsigned int outstandingBytesPerAddress;
  unsigned int mtu;
  unsigned char ipTos;
} SCTP_PathStatus;

/* Callbacks of the event loop. */
typedef void (*sctp_userCallback)(int fd, short int revents, short int* events, void* userData);
typedef void (*sctp_StdinCallback)(char* buffer, int length);
typedef void (*sctp_timerCallback)(unsigned int timerId, void* param1, void* param2);

/* Connects to sctpgw and opens a session. UDP_Notif_Port: a UDP port on
   127.0.0.1 the notification socket binds (0: any); UDP_Resp_Port: accepted
   and unused (requests go over gRPC). SCTP_SUCCESS, or
   SCTP_LIBRARY_ALREADY_INITIALIZED, or SCTP_MODULE_NOT_FOUND when sctpgw
   cannot be reached. */
int sctpd_initLibrary(unsigned short UDP_Notif_Port, unsigned short UDP_Resp_Port);
unsigned int sctpd_getLibraryVersion(void);

short sctpd_registerInstance(unsigned short localPort, unsigned short noOfInStreams,
                             unsigned short noOfOutStreams, unsigned int noOfLocalAddresses,
                             unsigned char localAddressList[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN],
                             UDP_UA_CB ULPcallbackFunctions);
int sctpd_unregisterInstance(unsigned short instance_name);

unsigned int sctpd_associate(unsigned int SCTP_InstanceName, unsigned short noOfOutStreams,
                             unsigned char destinationAddress[SCTP_MAX_IP_LEN],
                             unsigned short destinationPort, void* ulp_data);
unsigned int sctpd_associatex(unsigned int SCTP_InstanceName, unsigned short noOfOutStreams,
                              unsigned char destinationAddresses[][SCTP_MAX_IP_LEN],
                              unsigned int noOfDestinationAddresses,
                              unsigned int maxSimultaneousInits, unsigned short destinationPort,
                              void* ulp_data);
int sctpd_shutdown(unsigned int associationID);
int sctpd_abort(unsigned int associationID);
int sctpd_deleteAssociation(unsigned int associationID);

int sctpd_send(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
               unsigned int length, unsigned int protocolId, short path_id, void* context,
               unsigned int lifetime, int unorderedDelivery, int dontBundle);
int sctpd_receive(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
                  unsigned int* length, unsigned short* streamSN, unsigned int* tsn,
                  unsigned int flags);
int sctpd_receivefrom(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
                      unsigned int* length, unsigned short* streamSN, unsigned int* tsn,
                      unsigned int* addressIndex, unsigned int flags);
int sctpd_receiveUnsent(unsigned int associationID, unsigned char* buffer, unsigned int* length,
                        unsigned int* tsn, unsigned short* streamID, unsigned short* streamSN,
                        unsigned int* protocolId, unsigned char* flags, void** context);
int sctpd_receiveUnacked(unsigned int associationID, unsigned char* buffer, unsigned int* length,
                         unsigned int* tsn, unsigned short* streamID, unsigned short* streamSN,
                         unsigned int* protocolId, unsigned char* flags, void** context);

int sctpd_setLibraryParameters(SCTP_LibraryParameters* params);
int sctpd_getLibraryParameters(SCTP_LibraryParameters* params);
int sctpd_setAssocDefaults(unsigned short SCTP_InstanceName, SCTP_InstanceParameters* params);
int sctpd_getAssocDefaults(unsigned short SCTP_InstanceName, SCTP_InstanceParameters* params);
int sctpd_getAssocStatus(unsigned int associationID, SCTP_AssociationStatus* status);
int sctpd_setAssocStatus(unsigned int associationID, SCTP_AssociationStatus* new_status);
int sctpd_getPathStatus(unsigned int associationID, short path_id, SCTP_PathStatus* status);
int sctpd_setPathStatus(unsigned int associationID, short path_id, SCTP_PathStatus* new_status);
short sctpd_setPrimary(unsigned int associationID, short path_id);
short sctpd_getPrimary(unsigned int associationID);
int sctpd_getSrttReport(unsigned int associationID, short path_id);
int sctpd_changeHeartBeat(unsigned int associationID, short path_id, int heartbeatON,
                          unsigned int timeIntervall);
int sctpd_requestHeartbeat(unsigned int associationID, short path_id);
int sctpd_setFailureThreshold(unsigned int associationID, unsigned short pathMaxRetransmissions);
int sctpd_getInstanceID(unsigned int associationID, unsigned short* instanceID);

/* The event loop: timers, file descriptors, and sctpgw's notifications. */
int sctpd_registerUserCallback(int fd, sctp_userCallback sdf, void* userData, short int eventMask);
int sctpd_unregisterUserCallback(int fd);
int sctpd_registerStdinCallback(sctp_StdinCallback sdf, char* buffer, int length);
int sctpd_unregisterStdinCallback(void);
unsigned int sctpd_startTimer(unsigned int seconds, unsigned int microseconds,
                              sctp_timerCallback timer_cb, void* param1, void* param2);
int sctpd_stopTimer(unsigned int tid);
unsigned int sctpd_restartTimer(unsigned int timer_id, unsigned int seconds,
                                unsigned int microseconds);
/* Handles what is ready now, without waiting; the number handled. */
int sctpd_getEvents(void);
/* Waits for the next event (a timer, a file descriptor, a notification),
   handles it and everything else ready; the number handled, or -1. */
int sctpd_eventLoop(void);
int sctpd_extendedEventLoop(void (*lock)(void* data), void (*unlock)(void* data), void* data);

/* For an application's own loop: the notification socket (readable when
   sctpgw has something for the application), each of whose datagrams is to
   be read and passed to dispatchUAMesg(), which runs the callbacks on the
   calling thread. SCTP_SUCCESS, or SCTP_PARAMETER_PROBLEM for a datagram
   that is not a notification. */
int sctpd_getNotificationFd(void);
int dispatchUAMesg(unsigned char* buffer);
/* The size of a notification datagram. */
#define SCTPD_NOTIFICATION_BYTES 32

/* sctpgw's reason for the last failure on this thread ("ASSOCIATE_FAILED:
   ...", "" after a success). */
const char* sctpd_lastError(void);

#ifdef __cplusplus
}
#endif

#endif /* SCTPGW_UA_H */
