// The C API of ua.h: each sctpd_ call checked and handed to the Library or
// the EventLoop. Calls before sctpd_initLibrary() give
// SCTP_LIBRARY_NOT_INITIALIZED (0 where the SCTP library returned an id).
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "sctpd_event_loop.h"
#include "sctpd_library.h"
#include "ua.h"

using sctpgw::sctpd::EventLoop;
using sctpgw::sctpd::Library;

namespace {

// A fixed-size address field as a string (it may lack its NUL).
std::string Address(const unsigned char address[SCTP_MAX_IP_LEN]) {
  const char* text = reinterpret_cast<const char*>(address);
  return std::string(text, strnlen(text, SCTP_MAX_IP_LEN));
}

std::chrono::microseconds Delay(unsigned int seconds, unsigned int microseconds) {
  return std::chrono::seconds(seconds) + std::chrono::microseconds(microseconds);
}

}  // namespace

#define SCTPD_LIBRARY_OR(failure)                    \
  Library* library = Library::Get();                 \
  if (library == nullptr) return (failure)

extern "C" {

int sctpd_initLibrary(unsigned short UDP_Notif_Port, unsigned short UDP_Resp_Port) {
  (void)UDP_Resp_Port;  // Requests go to sctpgw over gRPC: no response port.
  return Library::Init(UDP_Notif_Port);
}

unsigned int sctpd_getLibraryVersion(void) {
  return (SCTPD_MAJOR_VERSION << 16) | SCTPD_MINOR_VERSION;
}

short sctpd_registerInstance(unsigned short localPort, unsigned short noOfInStreams,
                             unsigned short noOfOutStreams, unsigned int noOfLocalAddresses,
                             unsigned char localAddressList[SCTP_MAX_NUM_ADDRESSES][SCTP_MAX_IP_LEN],
                             UDP_UA_CB ULPcallbackFunctions) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (noOfLocalAddresses > SCTP_MAX_NUM_ADDRESSES ||
      (noOfLocalAddresses > 0 && localAddressList == nullptr)) {
    return SCTP_PARAMETER_PROBLEM;
  }
  std::vector<std::string> addresses;
  for (unsigned int i = 0; i < noOfLocalAddresses; ++i) {
    addresses.push_back(Address(localAddressList[i]));
  }
  return library->RegisterInstance(localPort, noOfInStreams, noOfOutStreams,
                                   std::move(addresses), ULPcallbackFunctions);
}

int sctpd_unregisterInstance(unsigned short instance_name) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->UnregisterInstance(instance_name);
}

unsigned int sctpd_associate(unsigned int SCTP_InstanceName, unsigned short noOfOutStreams,
                             unsigned char destinationAddress[SCTP_MAX_IP_LEN],
                             unsigned short destinationPort, void* ulp_data) {
  SCTPD_LIBRARY_OR(0);
  if (destinationAddress == nullptr) return 0;
  return library->Associate(SCTP_InstanceName, noOfOutStreams, {Address(destinationAddress)},
                            destinationPort, ulp_data);
}

unsigned int sctpd_associatex(unsigned int SCTP_InstanceName, unsigned short noOfOutStreams,
                              unsigned char destinationAddresses[][SCTP_MAX_IP_LEN],
                              unsigned int noOfDestinationAddresses,
                              unsigned int maxSimultaneousInits, unsigned short destinationPort,
                              void* ulp_data) {
  (void)maxSimultaneousInits;  // The kernel sends one INIT to each address in turn.
  SCTPD_LIBRARY_OR(0);
  if (destinationAddresses == nullptr || noOfDestinationAddresses == 0 ||
      noOfDestinationAddresses > SCTP_MAX_NUM_ADDRESSES) {
    return 0;
  }
  std::vector<std::string> peers;
  for (unsigned int i = 0; i < noOfDestinationAddresses; ++i) {
    peers.push_back(Address(destinationAddresses[i]));
  }
  return library->Associate(SCTP_InstanceName, noOfOutStreams, std::move(peers),
                            destinationPort, ulp_data);
}

int sctpd_shutdown(unsigned int associationID) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Shutdown(associationID);
}

int sctpd_abort(unsigned int associationID) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Abort(associationID);
}

int sctpd_deleteAssociation(unsigned int associationID) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->DeleteAssociation(associationID);
}

int sctpd_send(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
               unsigned int length, unsigned int protocolId, short path_id, void* context,
               unsigned int lifetime, int unorderedDelivery, int dontBundle) {
  (void)dontBundle;  // Bundling is the endpoint's (bundle_messages), not a message's.
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Send(associationID, streamID, buffer, length, protocolId, path_id, context,
                       lifetime, unorderedDelivery);
}

int sctpd_receive(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
                  unsigned int* length, unsigned short* streamSN, unsigned int* tsn,
                  unsigned int flags) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Receive(associationID, streamID, buffer, length, streamSN, tsn, nullptr, flags);
}

int sctpd_receivefrom(unsigned int associationID, unsigned short streamID, unsigned char* buffer,
                      unsigned int* length, unsigned short* streamSN, unsigned int* tsn,
                      unsigned int* addressIndex, unsigned int flags) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Receive(associationID, streamID, buffer, length, streamSN, tsn, addressIndex,
                          flags);
}

int sctpd_receiveUnsent(unsigned int associationID, unsigned char* buffer, unsigned int* length,
                        unsigned int* tsn, unsigned short* streamID, unsigned short* streamSN,
                        unsigned int* protocolId, unsigned char* flags, void** context) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->ReceiveFailed(associationID, /*unsent=*/true, buffer, length, tsn, streamID,
                                streamSN, protocolId, flags, context);
}

int sctpd_receiveUnacked(unsigned int associationID, unsigned char* buffer, unsigned int* length,
                         unsigned int* tsn, unsigned short* streamID, unsigned short* streamSN,
                         unsigned int* protocolId, unsigned char* flags, void** context) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->ReceiveFailed(associationID, /*unsent=*/false, buffer, length, tsn, streamID,
                                streamSN, protocolId, flags, context);
}

int sctpd_setLibraryParameters(SCTP_LibraryParameters* params) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (params == nullptr || (params->sendOotbAborts != 0 && params->sendOotbAborts != 1) ||
      (params->checksumAlgorithm != SCTP_CHECKSUM_ALGORITHM_CRC32C &&
       params->checksumAlgorithm != SCTP_CHECKSUM_ALGORITHM_ADLER32) ||
      (params->supportPRSCTP != 0 && params->supportPRSCTP != 1) ||
      (params->supportADDIP != 0 && params->supportADDIP != 1)) {
    return SCTP_PARAMETER_PROBLEM;
  }
  // Kept and reported back; the kernel's SCTP decides each of them
  // (docs/sctpd.md): out-of-the-blue ABORTs and CRC32c always, PR-SCTP
  // always offered, ADD-IP per endpoint.
  library->parameters() = *params;
  return SCTP_SUCCESS;
}

int sctpd_getLibraryParameters(SCTP_LibraryParameters* params) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (params == nullptr) return SCTP_PARAMETER_PROBLEM;
  *params = library->parameters();
  return SCTP_SUCCESS;
}

int sctpd_setAssocDefaults(unsigned short SCTP_InstanceName, SCTP_InstanceParameters* params) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (params == nullptr) return SCTP_PARAMETER_PROBLEM;
  return library->SetAssocDefaults(SCTP_InstanceName, *params);
}

int sctpd_getAssocDefaults(unsigned short SCTP_InstanceName, SCTP_InstanceParameters* params) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->GetAssocDefaults(SCTP_InstanceName, params);
}

int sctpd_getAssocStatus(unsigned int associationID, SCTP_AssociationStatus* status) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->GetAssocStatus(associationID, status);
}

int sctpd_setAssocStatus(unsigned int associationID, SCTP_AssociationStatus* new_status) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (new_status == nullptr) return SCTP_PARAMETER_PROBLEM;
  return library->SetAssocStatus(associationID, *new_status);
}

int sctpd_getPathStatus(unsigned int associationID, short path_id, SCTP_PathStatus* status) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->GetPathStatus(associationID, path_id, status);
}

int sctpd_setPathStatus(unsigned int associationID, short path_id, SCTP_PathStatus* new_status) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (new_status == nullptr) return SCTP_PARAMETER_PROBLEM;
  // The one settable field the kernel has per path: the heartbeat interval.
  return library->ChangeHeartbeat(associationID, path_id, new_status->heartbeatIntervall != 0,
                                  new_status->heartbeatIntervall);
}

short sctpd_setPrimary(unsigned int associationID, short path_id) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return static_cast<short>(library->SetPrimary(associationID, path_id));
}

short sctpd_getPrimary(unsigned int associationID) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return static_cast<short>(library->GetPrimary(associationID));
}

int sctpd_getSrttReport(unsigned int associationID, short path_id) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  SCTP_PathStatus status;
  int got = library->GetPathStatus(associationID, path_id, &status);
  return got != SCTP_SUCCESS ? got : static_cast<int>(status.srtt);
}

int sctpd_changeHeartBeat(unsigned int associationID, short path_id, int heartbeatON,
                          unsigned int timeIntervall) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  if (heartbeatON != SCTP_HEARTBEAT_ON && heartbeatON != SCTP_HEARTBEAT_OFF) {
    return SCTP_PARAMETER_PROBLEM;
  }
  return library->ChangeHeartbeat(associationID, path_id, heartbeatON == SCTP_HEARTBEAT_ON,
                                  timeIntervall);
}

int sctpd_requestHeartbeat(unsigned int associationID, short path_id) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->RequestHeartbeat(associationID, path_id);
}

int sctpd_setFailureThreshold(unsigned int associationID, unsigned short pathMaxRetransmissions) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->SetFailureThreshold(associationID, pathMaxRetransmissions);
}

int sctpd_getInstanceID(unsigned int associationID, unsigned short* instanceID) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->GetInstanceId(associationID, instanceID);
}

int sctpd_registerUserCallback(int fd, sctp_userCallback sdf, void* userData, short int eventMask) {
  return EventLoop::Get().RegisterFd(fd, sdf, userData, eventMask);
}

int sctpd_unregisterUserCallback(int fd) { return EventLoop::Get().UnregisterFd(fd); }

int sctpd_registerStdinCallback(sctp_StdinCallback sdf, char* buffer, int length) {
  return EventLoop::Get().RegisterStdin(sdf, buffer, length);
}

int sctpd_unregisterStdinCallback(void) { return EventLoop::Get().UnregisterStdin(); }

unsigned int sctpd_startTimer(unsigned int seconds, unsigned int microseconds,
                              sctp_timerCallback timer_cb, void* param1, void* param2) {
  return EventLoop::Get().StartTimer(Delay(seconds, microseconds), timer_cb, param1, param2);
}

int sctpd_stopTimer(unsigned int tid) { return EventLoop::Get().StopTimer(tid); }

unsigned int sctpd_restartTimer(unsigned int timer_id, unsigned int seconds,
                                unsigned int microseconds) {
  return EventLoop::Get().RestartTimer(timer_id, Delay(seconds, microseconds));
}

int sctpd_getEvents(void) { return EventLoop::Get().Run(/*wait=*/false); }

int sctpd_eventLoop(void) { return EventLoop::Get().Run(/*wait=*/true); }

int sctpd_extendedEventLoop(void (*lock)(void* data), void (*unlock)(void* data), void* data) {
  return EventLoop::Get().Run(/*wait=*/true, lock, unlock, data);
}

int sctpd_getNotificationFd(void) {
  SCTPD_LIBRARY_OR(-1);
  return library->notification_fd();
}

int dispatchUAMesg(unsigned char* buffer) {
  SCTPD_LIBRARY_OR(SCTP_LIBRARY_NOT_INITIALIZED);
  return library->Dispatch(buffer);
}

const char* sctpd_lastError(void) { return Library::LastError(); }

}  // extern "C"
