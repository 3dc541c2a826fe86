// Type definitions of the sctpgw Node.js client library (clients/node).
//
// Messages are plain objects with the protos' field names in lowerCamelCase
// (proto/sctpgw/v1): 64-bit integers (ids, sequences, byte counts) are
// decimal strings, enums their value names, bytes Buffers. In requests an id
// may also be a number or a bigint, an enum a short name ('priority' for
// STREAM_SCHEDULER_PRIORITY) or a number, and bytes a string (UTF-8).

/// <reference types="node" />

import type { ChannelCredentials, ChannelOptions, ServiceError, status as grpcStatus } from '@grpc/grpc-js';

// ------------------------------------------------------------------ basics

/** A 64-bit id as responses carry it: a decimal string. */
export type Id = string;
/** A 64-bit id as requests take it. */
export type IdInput = string | number | bigint;
/** A payload as requests take it (strings are sent as UTF-8). */
export type Payload = Buffer | Uint8Array | string;

/** An enum as requests take it: the full name, the name without the enum's prefix (any case), or the number. */
export type EnumInput<Full extends string, Prefix extends string> =
  | Full
  | (Full extends `${Prefix}${infer Short}` ? Short | Lowercase<Short> : never)
  | number;

/** The options every call takes: its deadline. */
export interface CallOptions {
  /** Milliseconds from now; default: the client's timeoutMs. */
  timeoutMs?: number;
  /** An absolute deadline (a Date, or milliseconds since the epoch); wins over timeoutMs. */
  deadline?: Date | number;
}

export interface Timestamp {
  seconds: string;
  nanos: number;
}

// ------------------------------------------------------------------- enums

export type SessionLiveness =
  | 'SESSION_LIVENESS_UNSPECIFIED' | 'SESSION_LIVENESS_CONNECTION' | 'SESSION_LIVENESS_APPLICATION';
export type StreamScheduler =
  | 'STREAM_SCHEDULER_UNSPECIFIED' | 'STREAM_SCHEDULER_FIRST_COME' | 'STREAM_SCHEDULER_PRIORITY'
  | 'STREAM_SCHEDULER_ROUND_ROBIN' | 'STREAM_SCHEDULER_FAIR_CAPACITY' | 'STREAM_SCHEDULER_WEIGHTED_FAIR';
export type OversizedMessages =
  | 'OVERSIZED_MESSAGES_UNSPECIFIED' | 'OVERSIZED_MESSAGES_DELIVER_IN_PIECES' | 'OVERSIZED_MESSAGES_ABORT';
export type AssociationState =
  | 'ASSOCIATION_STATE_UNSPECIFIED' | 'ASSOCIATION_STATE_CONNECTING' | 'ASSOCIATION_STATE_ESTABLISHED'
  | 'ASSOCIATION_STATE_SHUTTING_DOWN' | 'ASSOCIATION_STATE_CLOSED';
export type PathState =
  | 'PATH_STATE_UNSPECIFIED' | 'PATH_STATE_ACTIVE' | 'PATH_STATE_INACTIVE' | 'PATH_STATE_UNCONFIRMED'
  | 'PATH_STATE_POTENTIALLY_FAILED';
export type KernelAssociationState =
  | 'KERNEL_ASSOCIATION_STATE_UNSPECIFIED' | 'KERNEL_ASSOCIATION_STATE_CLOSED'
  | 'KERNEL_ASSOCIATION_STATE_COOKIE_WAIT' | 'KERNEL_ASSOCIATION_STATE_COOKIE_ECHOED'
  | 'KERNEL_ASSOCIATION_STATE_ESTABLISHED' | 'KERNEL_ASSOCIATION_STATE_SHUTDOWN_PENDING'
  | 'KERNEL_ASSOCIATION_STATE_SHUTDOWN_SENT' | 'KERNEL_ASSOCIATION_STATE_SHUTDOWN_RECEIVED'
  | 'KERNEL_ASSOCIATION_STATE_SHUTDOWN_ACK_SENT';
export type ShutdownMode = 'SHUTDOWN_MODE_UNSPECIFIED' | 'SHUTDOWN_MODE_GRACEFUL' | 'SHUTDOWN_MODE_ABORT';
export type StreamResetDirection =
  | 'STREAM_RESET_DIRECTION_UNSPECIFIED' | 'STREAM_RESET_DIRECTION_OUTGOING'
  | 'STREAM_RESET_DIRECTION_INCOMING' | 'STREAM_RESET_DIRECTION_BOTH';
export type AuthKeyAction =
  | 'AUTH_KEY_ACTION_UNSPECIFIED' | 'AUTH_KEY_ACTION_ADD' | 'AUTH_KEY_ACTION_ACTIVATE'
  | 'AUTH_KEY_ACTION_DEACTIVATE' | 'AUTH_KEY_ACTION_DELETE';
export type ServiceState =
  | 'SERVICE_STATE_UNSPECIFIED' | 'SERVICE_STATE_SERVING' | 'SERVICE_STATE_HANDING_OVER'
  | 'SERVICE_STATE_HANDED_OVER' | 'SERVICE_STATE_STOPPING';
export type ServiceStart =
  | 'SERVICE_START_UNSPECIFIED' | 'SERVICE_START_FRESH' | 'SERVICE_START_TOOK_OVER'
  | 'SERVICE_START_RECOVERED' | 'SERVICE_START_RESTARTED';
export type AssociationChangeType =
  | 'ASSOCIATION_CHANGE_TYPE_UNSPECIFIED' | 'ASSOCIATION_CHANGE_TYPE_COMM_UP'
  | 'ASSOCIATION_CHANGE_TYPE_COMM_LOST' | 'ASSOCIATION_CHANGE_TYPE_RESTART'
  | 'ASSOCIATION_CHANGE_TYPE_SHUTDOWN_COMP' | 'ASSOCIATION_CHANGE_TYPE_CANT_STR_ASSOC';
export type PeerAddressChangeType =
  | 'PEER_ADDRESS_CHANGE_TYPE_UNSPECIFIED' | 'PEER_ADDRESS_CHANGE_TYPE_AVAILABLE'
  | 'PEER_ADDRESS_CHANGE_TYPE_UNREACHABLE' | 'PEER_ADDRESS_CHANGE_TYPE_REMOVED'
  | 'PEER_ADDRESS_CHANGE_TYPE_ADDED' | 'PEER_ADDRESS_CHANGE_TYPE_MADE_PRIMARY'
  | 'PEER_ADDRESS_CHANGE_TYPE_CONFIRMED' | 'PEER_ADDRESS_CHANGE_TYPE_POTENTIALLY_FAILED';
export type CaptureDirection =
  | 'CAPTURE_DIRECTION_UNSPECIFIED' | 'CAPTURE_DIRECTION_INBOUND' | 'CAPTURE_DIRECTION_OUTBOUND';

// ----------------------------------------------------- messages (responses)

export interface TransportAddress {
  ip: string;
  port: number;
}

/** Socket settings; read back from the kernel, each present. */
export interface SocketSettings {
  cookieLifeMs?: number;
  receiveWindowBytes?: number;
  maxSegmentBytes?: number;
  disableFragments: boolean;
  partialDeliveryPointBytes?: number;
  bundleMessages: boolean;
}

export interface Endpoint {
  endpointId: Id;
  localAddresses: TransportAddress[];
  port: number;
  listening: boolean;
  associationCount: number;
  addressReconfiguration: boolean;
  udpEncapsulationPort: number;
  resetStreams: boolean;
  resetAssociation: boolean;
  addStreams: boolean;
  interleaving: boolean;
  streamScheduler: StreamScheduler;
  auth: boolean;
  authChunkTypes: number[];
  authKeyIds: number[];
  socketSettings: SocketSettings | null;
  oversizedMessages: OversizedMessages;
}

export interface Association {
  associationId: Id;
  endpointId: Id;
  kernelAssociationId: number;
  state: AssociationState;
  incoming: boolean;
  inboundStreams: number;
  outboundStreams: number;
  localAddresses: TransportAddress[];
  peerAddresses: TransportAddress[];
  queuedMessages: number;
  queuedBytes: string;
  waitingReceives: number;
}

/** One received message, or a piece of one (offset, moreFollows: see MessageJoiner). */
export interface InboundMessage {
  associationId: Id;
  stream: number;
  ssn: number;
  tsn: number;
  ppid: number;
  unordered: boolean;
  payload: Buffer;
  source: TransportAddress | null;
  moreFollows: boolean;
  offset: string;
}

/** Timers and thresholds; read back, every field is present. */
export interface PathParameters {
  rtoInitialMs?: number;
  rtoMinMs?: number;
  rtoMaxMs?: number;
  associationMaxRetransmissions?: number;
  heartbeatIntervalMs?: number;
  heartbeatEnabled?: boolean;
  pathMaxRetransmissions?: number;
  potentiallyFailedThreshold?: number;
  sackDelayMs?: number;
  sackFrequency?: number;
}

export interface PeerPath {
  address: TransportAddress | null;
  state: PathState;
  cwnd: number;
  srttMs: number;
  rtoMs: number;
  mtu: number;
  heartbeatIntervalMs: number;
  heartbeatEnabled: boolean;
  pathMaxRetransmissions: number;
  potentiallyFailedThreshold: number;
}

export interface AssociationStatus {
  state: KernelAssociationState;
  peerRwnd: number;
  unackedChunks: number;
  pendingChunks: number;
  inboundStreams: number;
  outboundStreams: number;
  fragmentationPoint: number;
  primary: PeerPath | null;
  udpEncapsulationPort: number;
}

export interface StreamReconfiguration {
  resetStreams?: boolean;
  resetAssociation?: boolean;
  addStreams?: boolean;
}

export interface StreamSettings {
  scheduler: StreamScheduler;
  interleaving: boolean;
  reconfiguration: Required<StreamReconfiguration> | null;
}

export interface AuthStatus {
  peerSupportsAuth: boolean;
  activeKeyId: number;
  localChunkTypes: number[];
  peerChunkTypes: number[];
}

export interface AssociationStatistics {
  retransmittedChunks: string;
  gapReports: string;
  outOfSequenceTsns: string;
  sacksSent: string;
  sacksReceived: string;
  controlChunksSent: string;
  controlChunksReceived: string;
  orderedChunksSent: string;
  orderedChunksReceived: string;
  unorderedChunksSent: string;
  unorderedChunksReceived: string;
  duplicateChunksReceived: string;
  packetsSent: string;
  packetsReceived: string;
  maxRtoMs: number;
  maxRtoPath: TransportAddress | null;
}

export interface AbandonedMessages {
  unsent: string;
  sent: string;
}

export interface StreamAbandoned {
  stream: number;
  total: AbandonedMessages | null;
  timed: AbandonedMessages | null;
  retransmissions: AbandonedMessages | null;
  priority: AbandonedMessages | null;
}

export interface PrSctpStatus {
  peerSupportsPrSctp: boolean;
  total: AbandonedMessages | null;
  timed: AbandonedMessages | null;
  retransmissions: AbandonedMessages | null;
  priority: AbandonedMessages | null;
  streams: StreamAbandoned[];
}

export interface GetAssociationResponse {
  association: Association | null;
  status: AssociationStatus | null;
  paths: PeerPath[];
  pathParameters: PathParameters | null;
  streams: StreamSettings | null;
  auth: AuthStatus | null;
  statistics: AssociationStatistics | null;
  prSctp: PrSctpStatus | null;
}

export interface ConfigurePathsResponse {
  parameters: PathParameters | null;
  path: PeerPath | null;
}

export interface StreamValue {
  stream: number;
  value: number;
}

export interface ConfigureStreamsResponse {
  scheduler: StreamScheduler;
  values: StreamValue[];
}

export interface RenewLeaseResponse {
  leaseMs: number;
  liveness: SessionLiveness;
}

export interface GetServiceStatusResponse {
  version: string;
  state: ServiceState;
  kernelSctp: boolean;
  started: Timestamp | null;
  start: ServiceStart;
  tookOverFromVersion: string;
  associationsRecovered: number;
  messagesLost: string;
  messagesUnconfirmed: string;
  crashSurvival: boolean;
  sessions: number;
  endpoints: number;
  associations: number;
}

export interface SendStreamResponse {
  completedRequests: string;
  acceptedMessages: string;
}

export interface CapturedMessage {
  time: Timestamp | null;
  direction: CaptureDirection;
  associationId: Id;
  endpointId: Id;
  local: TransportAddress | null;
  peer: TransportAddress | null;
  stream: number;
  ssn: number;
  tsn: number;
  ppid: number;
  unordered: boolean;
  length: number;
  payload: Buffer;
  offset: string;
  moreFollows: boolean;
}

export interface CaptureResponse {
  messages: CapturedMessage[];
  droppedMessages: string;
}

// ------------------------------------------------------------------ events

export interface AssociationChange {
  type: AssociationChangeType;
  error: number;
  outboundStreams: number;
  inboundStreams: number;
  info: Buffer;
}

export interface PeerAddressChange {
  address: TransportAddress | null;
  type: PeerAddressChangeType;
  error: number;
}

export interface RemoteError { error: number; data: Buffer; }
export interface SendFailed {
  sent: boolean; error: number; stream: number; ppid: number; context: number; unordered: boolean;
  payload: Buffer;
}
export interface ShutdownEvent {}
export interface AdaptationIndication { indication: number; }
export interface PartialDelivery { indication: number; stream: number; sequence: number; }
export interface Authentication { indication: number; keyNumber: number; }
export interface SenderDry {}
export interface StreamReset { flags: number; streams: number[]; }
export interface AssociationReset { flags: number; localTsn: number; remoteTsn: number; }
export interface StreamChange { flags: number; inboundStreams: number; outboundStreams: number; }
export interface MessagesLost { messages: string; unconfirmedMessages: string; }

export type EventKind =
  | 'associationChange' | 'peerAddressChange' | 'remoteError' | 'sendFailed' | 'shutdown'
  | 'adaptationIndication' | 'partialDelivery' | 'authentication' | 'senderDry' | 'streamReset'
  | 'associationReset' | 'streamChange' | 'messagesLost';

/** One event; `kind` names the member that is set. */
export interface Event {
  sequence: string;
  time: Timestamp | null;
  endpointId: Id;
  associationId: Id;
  detail: string;
  kind: EventKind;
  associationChange?: AssociationChange;
  peerAddressChange?: PeerAddressChange;
  remoteError?: RemoteError;
  sendFailed?: SendFailed;
  shutdown?: ShutdownEvent;
  adaptationIndication?: AdaptationIndication;
  partialDelivery?: PartialDelivery;
  authentication?: Authentication;
  senderDry?: SenderDry;
  streamReset?: StreamReset;
  associationReset?: AssociationReset;
  streamChange?: StreamChange;
  messagesLost?: MessagesLost;
}

export interface WatchAck {
  afterSequence: string;
  lastSequence: string;
  firstKeptSequence: string;
}

export interface WatchProgress {
  lastSequence: string;
  time: Timestamp | null;
}

// -------------------------------------------------------- request parts

export interface InitOptions {
  outboundStreams?: number;
  maxInboundStreams?: number;
  maxInitAttempts?: number;
  maxInitTimeoutMs?: number;
}

export interface AuthKey {
  keyId: number;
  secret: Payload;
}

export interface AuthOptions {
  enabled?: boolean;
  chunkTypes?: number[];
  /** The keys, or an object of key id to secret ({ 1: 'secret' }). */
  keys?: AuthKey[] | Record<number, Payload>;
  activeKeyId?: number;
}

export interface SocketSettingsInput {
  cookieLifeMs?: number;
  receiveWindowBytes?: number;
  maxSegmentBytes?: number;
  disableFragments?: boolean;
  partialDeliveryPointBytes?: number;
  bundleMessages?: boolean;
}

/** How one message is sent (OutboundMessage without its payload). */
export interface MessageOptions {
  stream?: number;
  ppid?: number;
  unordered?: boolean;
  /** PR-SCTP: at most one of lifetimeMs, maxRetransmissions, priority. */
  lifetimeMs?: number;
  maxRetransmissions?: number;
  priority?: number;
  peerAddress?: string;
  context?: number;
}

export interface OutboundMessage extends MessageOptions {
  payload: Payload;
}

/** A message to send: a payload alone (default options), or with its options. */
export type MessageInput = Payload | OutboundMessage;

export interface OpenEndpointOptions extends CallOptions {
  port?: number;
  listen?: boolean;
  backlog?: number;
  /** Outbound and maximum inbound streams (init's two stream counts). */
  streams?: number;
  init?: InitOptions;
  pathParameters?: PathParameters;
  addressReconfiguration?: boolean;
  udpEncapsulationPort?: number;
  streamReconfiguration?: StreamReconfiguration;
  interleaving?: boolean;
  streamScheduler?: EnumInput<StreamScheduler, 'STREAM_SCHEDULER_'>;
  /** AuthOptions, or true: offered, no keys. */
  auth?: AuthOptions | true;
  socketSettings?: SocketSettingsInput;
  oversizedMessages?: EnumInput<OversizedMessages, 'OVERSIZED_MESSAGES_'>;
}

export interface OpenEndpointRequest extends Omit<OpenEndpointOptions, 'streams'> {
  sessionId?: string;
  localAddresses: string[] | string;
}

export interface AssociateOptions extends CallOptions {
  streams?: number;
  init?: InitOptions;
}

export interface AssociateRequest extends CallOptions {
  sessionId?: string;
  endpointId: IdInput;
  peerAddresses: string[] | string;
  peerPort: number;
  init?: InitOptions;
}

export interface SendRequest extends CallOptions {
  sessionId?: string;
  associationId: IdInput;
  messages: MessageInput[];
}

export interface ReceiveOptions extends CallOptions {
  /** 0..1024; 0 = 64. */
  maxMessages?: number;
  /** 0..4 MiB; 0 = 1 MiB. */
  maxBytes?: number;
}

export interface ReceiveRequest extends ReceiveOptions {
  sessionId?: string;
  associationId?: IdInput;
  endpointId?: IdInput;
}

export interface ShutdownRequest extends CallOptions {
  sessionId?: string;
  associationId: IdInput;
  mode?: EnumInput<ShutdownMode, 'SHUTDOWN_MODE_'>;
  abortReason?: string;
}

export interface ListOptions extends CallOptions {
  pageSize?: number;
}

export interface ConfigurePathsRequest extends CallOptions {
  sessionId?: string;
  associationId: IdInput;
  parameters?: PathParameters;
  peerAddress?: string;
}

export interface ResetStreamsOptions extends CallOptions {
  direction?: EnumInput<StreamResetDirection, 'STREAM_RESET_DIRECTION_'>;
  streams?: number[];
}

export interface AddStreamsOptions extends CallOptions {
  outbound?: number;
  inbound?: number;
}

export interface ConfigureStreamsOptions extends CallOptions {
  scheduler?: EnumInput<StreamScheduler, 'STREAM_SCHEDULER_'>;
  /** { stream: value }, a Map, [stream, value] pairs or StreamValues. */
  values?: Record<number, number> | Map<number, number> | Array<[number, number] | StreamValue>;
}

export interface ChangeAuthKeyOptions extends CallOptions {
  endpointId?: IdInput;
  associationId?: IdInput;
  secret?: Payload;
}

export interface ChangeAuthKeyRequest extends ChangeAuthKeyOptions {
  sessionId?: string;
  action: EnumInput<AuthKeyAction, 'AUTH_KEY_ACTION_'>;
  keyId: number;
}

// ------------------------------------------------------------------ errors

/** A failed call: the gRPC code and sctpgw's ErrorInfo. */
export class SctpgwError extends Error {
  constructor(fields?: {
    code: number; reason?: string; metadata?: Record<string, string>; details?: string; call?: string;
    domain?: string; cause?: unknown;
  });
  readonly name: 'SctpgwError';
  /** The gRPC status code (status.UNAVAILABLE is 14). */
  readonly code: number;
  /** Its name: 'UNAVAILABLE'. */
  readonly codeName: string;
  /** ErrorInfo.reason ('ASSOCIATE_FAILED'); '' for an error that did not come from sctpgw. */
  readonly reason: string;
  /** ErrorInfo.metadata. */
  readonly metadata: Record<string, string>;
  /** The status message. */
  readonly details: string;
  /** The RPC that failed ('Associate'), when known. */
  readonly call: string;
  /** ErrorInfo.domain ('sctpgw.dev'). */
  readonly domain: string;
  /** UNAVAILABLE / HANDED_OVER: safe to make again (unary calls are, within their deadline). */
  readonly handedOver: boolean;
}

/** The SctpgwError of a grpc-js error or final status. */
export function fromGrpcError(error: ServiceError | { code: number; details?: string; metadata?: unknown },
  call?: string): SctpgwError;
/** The grpc-status-details-bin value sctpgw sends for such an error (for fakes and tests). */
export function encodeStatusDetails(code: number, reason: string, metadata?: Record<string, string>,
  message?: string): Buffer;
/** Reads a grpc-status-details-bin value; null when it does not decode. */
export function decodeStatusDetails(buffer: Buffer):
  { reason: string; metadata: Record<string, string>; domain: string; message: string } | null;
export const STATUS_DETAILS_KEY: 'grpc-status-details-bin';
export const DOMAIN: 'sctpgw.dev';
/** grpc-js's status codes by name. */
export const status: typeof grpcStatus;
export { credentials } from '@grpc/grpc-js';

// ---------------------------------------------------------------- messages

/** An OutboundMessage from a payload and options (for sendBatch and SendStream). */
export function message(payload: Payload, options?: MessageOptions): OutboundMessage & { payload: Buffer };
/** The stream, PPID and ordering of a received message, as options for the reply. */
export function replyOptions(inbound: InboundMessage): { stream: number; ppid: number; unordered: boolean };

export const DEFAULT_MAX_JOINED_BYTES: number;

/** A piece that does not continue what was gathered for its association, stream and ordering. */
export class IncompleteMessage extends Error {
  readonly piece: InboundMessage;
}
/** The pieces of one message exceed the joiner's maxMessageBytes. */
export class MessageTooLarge extends Error {}

/** Joins InboundMessages delivered in pieces (offset, moreFollows). */
export class MessageJoiner {
  constructor(options?: { maxMessageBytes?: number });
  maxMessageBytes: number;
  /** The whole message, or null while it is incomplete. */
  add(piece: InboundMessage): InboundMessage | null;
  /** How many messages are partly gathered. */
  pending(): number;
  /** Drops what was gathered (of one association, or of all). */
  discard(associationId?: IdInput): void;
  /** The whole messages of an iterable of messages and/or arrays of them. */
  join(source: AsyncIterable<InboundMessage | InboundMessage[]> | Iterable<InboundMessage | InboundMessage[]>):
    AsyncGenerator<InboundMessage, void, undefined>;
}

// ----------------------------------------------------------------- streams

interface ServerStream<T> extends AsyncIterableIterator<T> {
  /** How often the stream was opened again after a break. */
  readonly reconnects: number;
  /** Ends the stream; a next() waiting resolves done. */
  cancel(): void;
  next(): Promise<IteratorResult<T, undefined>>;
  /** Cancels the stream (leaving a for-await loop early calls it). */
  return(): Promise<IteratorResult<T, undefined>>;
}

export interface EventStreamOptions {
  /** Resume after this sequence (0: from the oldest kept). */
  afterSequence?: IdInput;
  /** Only this endpoint's events. */
  endpointId?: IdInput;
  /** Start with the next new event. */
  onlyNew?: boolean;
  /** Resume by itself after a break (default true). */
  reconnect?: boolean;
  /** Progress after this long without events; default: about lease/3 under application liveness, else the service's. */
  progressIntervalMs?: number;
}

/** A session's event stream: Events in order, each once, resumed by itself after a break. */
export class EventStream implements ServerStream<Event> {
  private constructor();
  /** Resolves once sctpgw acknowledged the stream: no event of what follows is missed. */
  start(options?: CallOptions): Promise<WatchAck>;
  /** The sequence of the last event yielded: where a resume starts. */
  readonly lastSequence: string;
  /** The WatchAck of the current call. */
  readonly acknowledgement: WatchAck | null;
  /** The last WatchProgress. */
  readonly progress: WatchProgress | null;
  readonly progressIntervalMs: number;
  readonly reconnects: number;
  cancel(): void;
  next(): Promise<IteratorResult<Event, undefined>>;
  return(): Promise<IteratorResult<Event, undefined>>;
  [Symbol.asyncIterator](): this;
}

export interface ReceiveStreamOptions extends ReceiveOptions {
  /** Open again after a break (default true). */
  reconnect?: boolean;
}

/** Received messages as they arrive: arrays of InboundMessage. */
export class ReceiveStream implements ServerStream<InboundMessage[]> {
  private constructor();
  /** Whole messages, pieces joined. */
  messages(joiner?: MessageJoiner): AsyncGenerator<InboundMessage, void, undefined>;
  readonly reconnects: number;
  cancel(): void;
  next(): Promise<IteratorResult<InboundMessage[], undefined>>;
  return(): Promise<IteratorResult<InboundMessage[], undefined>>;
  [Symbol.asyncIterator](): this;
}

export interface CaptureOptions extends CallOptions {
  associationId?: IdInput;
  endpointId?: IdInput;
  snapBytes?: number;
  bufferMessages?: number;
}

/** Copies of the messages passing over the session's associations. */
export class CaptureStream implements ServerStream<CaptureResponse> {
  private constructor();
  /** Resolves once the capture is in force. */
  start(options?: CallOptions): Promise<void>;
  readonly reconnects: number;
  cancel(): void;
  next(): Promise<IteratorResult<CaptureResponse, undefined>>;
  return(): Promise<IteratorResult<CaptureResponse, undefined>>;
  [Symbol.asyncIterator](): this;
}

export interface SendStreamOptions extends CallOptions {
  /** The association of send()s that name none. */
  associationId?: IdInput;
  /** Called with each acknowledgement. */
  onProgress?: (totals: SendStreamResponse) => void;
}

/** Batches sent in order on one SendStream call. */
export class SendStream {
  private constructor();
  /** Resolves once written with room for more (waits while sctpgw pushes back), to the requests written. */
  send(batch: MessageInput | MessageInput[], options?: { associationId?: IdInput }): Promise<number>;
  /** No more batches: resolves to the totals once every one is done, or rejects with the first error. */
  finish(): Promise<SendStreamResponse>;
  /** Abandons the stream. */
  cancel(): void;
  readonly requests: number;
  readonly totals: SendStreamResponse;
}

// ------------------------------------------------------------------ client

export interface ClientOptions {
  /** A name for sctpgw's logs. */
  clientName?: string;
  /** The lease wanted, milliseconds (0: the service's default). */
  leaseMs?: number;
  /** What keeps the session alive: 'connection' (the service's default) or 'application'. */
  liveness?: EnumInput<SessionLiveness, 'SESSION_LIVENESS_'>;
  /** Attach to this session instead of opening one. */
  sessionId?: string;
  /** Every call's deadline unless it gives one, milliseconds (default 10000). */
  timeoutMs?: number;
  /** Default: insecure (unix sockets, loopback). */
  credentials?: ChannelCredentials;
  /** grpc-js channel options, over the keepalive settings sctpgw expects. */
  channelOptions?: ChannelOptions;
  /** close() ends the session (default true); false leaves it to its lease. */
  closeSession?: boolean;
}

export class Client {
  constructor(target?: string, options?: ClientOptions);
  /** A Client with its session open (or attached). */
  static connect(target?: string, options?: ClientOptions): Promise<Client>;

  readonly target: string;
  readonly clientName: string;
  timeoutMs: number;
  /** The session's id (128 random bits, hex); keep it secret. */
  readonly sessionId: string;
  /** The lease the service chose, milliseconds. */
  readonly leaseMs: number;
  /** What keeps the session alive, once open. */
  readonly liveness: SessionLiveness | '';
  /** The last event sequence the application handled (sent with RenewLease). */
  readonly handledSequence: string;
  /** The grpc-js client under the library. */
  readonly grpcClient: import('@grpc/grpc-js').Client;

  /** Opens the session (OpenSession) or attaches to options.sessionId. */
  open(options?: CallOptions): Promise<this>;
  /** Ends the streams, the session (unless closeSession is false) and the channel. */
  close(options?: CallOptions): Promise<void>;

  /** Any unary call by its RPC name, with the request (the session added); resolves to the response. */
  call<T = Record<string, unknown>>(method: string, request?: Record<string, unknown>, options?: CallOptions): Promise<T>;

  renewLease(handledSequence?: IdInput, options?: CallOptions): Promise<RenewLeaseResponse>;
  renewLease(request: { handledSequence?: IdInput; sessionId?: string } & CallOptions, options?: CallOptions):
    Promise<RenewLeaseResponse>;

  openEndpoint(localAddresses: string | string[], options?: OpenEndpointOptions): Promise<Endpoint>;
  openEndpoint(request: OpenEndpointRequest, options?: CallOptions): Promise<Endpoint>;
  closeEndpoint(endpointId: IdInput, options?: { abort?: boolean } & CallOptions): Promise<void>;
  closeEndpoint(request: { endpointId: IdInput; abort?: boolean } & CallOptions): Promise<void>;
  listEndpoints(options?: ListOptions): Promise<Endpoint[]>;
  updateEndpointAddresses(endpointId: IdInput,
    options: { add?: string | string[]; remove?: string | string[] } & CallOptions): Promise<Endpoint>;
  updateEndpointAddresses(request: { endpointId: IdInput; addAddresses?: string[]; removeAddresses?: string[] }
    & CallOptions): Promise<Endpoint>;

  associate(endpointId: IdInput, peerAddresses: string | string[], peerPort: number,
    options?: AssociateOptions): Promise<Association>;
  associate(request: AssociateRequest, options?: CallOptions): Promise<Association>;
  send(associationId: IdInput, payload: Payload, options?: MessageOptions & CallOptions): Promise<number>;
  send(request: SendRequest, options?: CallOptions): Promise<number>;
  sendBatch(associationId: IdInput, messages: MessageInput[], options?: CallOptions): Promise<number>;
  sendBatch(request: SendRequest, options?: CallOptions): Promise<number>;
  /** Messages, or [] when none came before the deadline. */
  receive(associationId: IdInput, options?: ReceiveOptions): Promise<InboundMessage[]>;
  receive(request: ReceiveRequest): Promise<InboundMessage[]>;
  receiveFromEndpoint(endpointId: IdInput, options?: ReceiveOptions): Promise<InboundMessage[]>;
  shutdown(associationId: IdInput, options?: CallOptions): Promise<void>;
  shutdown(request: ShutdownRequest): Promise<void>;
  abort(associationId: IdInput, reason?: string, options?: CallOptions): Promise<void>;
  listAssociations(endpointId?: IdInput, options?: ListOptions): Promise<Association[]>;
  listAssociations(request: { endpointId?: IdInput } & ListOptions): Promise<Association[]>;
  getAssociation(associationId: IdInput, options?: { streams?: number[] } & CallOptions):
    Promise<GetAssociationResponse>;
  getAssociation(request: { associationId: IdInput; streams?: number[] } & CallOptions):
    Promise<GetAssociationResponse>;

  setPrimaryPath(associationId: IdInput, peerAddress: string, options?: CallOptions): Promise<void>;
  setPrimaryPath(request: { associationId: IdInput; peerAddress: string } & CallOptions): Promise<void>;
  requestPeerPrimaryPath(associationId: IdInput, localAddress: string, options?: CallOptions): Promise<void>;
  requestPeerPrimaryPath(request: { associationId: IdInput; localAddress: string } & CallOptions): Promise<void>;
  configurePaths(associationId: IdInput, parameters: PathParameters,
    options?: { peerAddress?: string } & CallOptions): Promise<ConfigurePathsResponse>;
  configurePaths(request: ConfigurePathsRequest, options?: CallOptions): Promise<ConfigurePathsResponse>;
  requestHeartbeat(associationId: IdInput, peerAddress?: string, options?: CallOptions): Promise<void>;
  requestHeartbeat(request: { associationId: IdInput; peerAddress?: string } & CallOptions): Promise<void>;

  resetStreams(associationId: IdInput, options?: ResetStreamsOptions): Promise<void>;
  resetStreams(request: { associationId: IdInput } & ResetStreamsOptions): Promise<void>;
  resetAssociation(associationId: IdInput, options?: CallOptions): Promise<void>;
  addStreams(associationId: IdInput, options: AddStreamsOptions): Promise<void>;
  addStreams(request: { associationId: IdInput } & AddStreamsOptions): Promise<void>;
  configureStreams(associationId: IdInput, options: ConfigureStreamsOptions): Promise<ConfigureStreamsResponse>;
  configureStreams(request: { associationId: IdInput } & ConfigureStreamsOptions): Promise<ConfigureStreamsResponse>;
  changeAuthKey(action: EnumInput<AuthKeyAction, 'AUTH_KEY_ACTION_'>, keyId: number,
    options: ChangeAuthKeyOptions): Promise<void>;
  changeAuthKey(request: ChangeAuthKeyRequest, options?: CallOptions): Promise<void>;

  getServiceStatus(options?: CallOptions): Promise<GetServiceStatusResponse>;

  events(options?: EventStreamOptions): EventStream;
  receiveStream(associationId: IdInput, options?: ReceiveStreamOptions): ReceiveStream;
  receiveStream(target: { associationId?: IdInput; endpointId?: IdInput } & ReceiveOptions,
    options?: ReceiveStreamOptions): ReceiveStream;
  sendStream(options?: SendStreamOptions): SendStream;
  capture(options?: CaptureOptions): CaptureStream;
}

export const DEFAULT_TARGET: 'unix:/run/sctpgw/sctpgw.sock';
export const DEFAULT_TIMEOUT_MS: number;
/** The keepalive and message size settings the client's channel uses. */
export const CHANNEL_OPTIONS: Readonly<Record<string, number>>;

// -------------------------------------------------------------- the protos

/** The environment variable naming a proto directory: 'SCTPGW_PROTO_DIR'. */
export const PROTO_DIR_VARIABLE: 'SCTPGW_PROTO_DIR';
/** The proto directory the library loads from. */
export function protoDirectory(): string;
/** The loaded definitions (grpc-js service definition, protobufjs reflection). */
export function loadProtos(): {
  directory: string;
  packageDefinition: import('@grpc/proto-loader').PackageDefinition;
  GatewayService: import('@grpc/grpc-js').ServiceClientConstructor;
  service: import('@grpc/grpc-js').ServiceDefinition;
  root: import('protobufjs').Root;
  Status: import('protobufjs').Type;
  ErrorInfo: import('protobufjs').Type;
};
export class ProtosNotFound extends Error {}
