// A program written against index.d.ts, compiled by test/types.test.js with
// `tsc --noEmit --strict`: the definitions must take it as it is, and must
// refuse each line marked @ts-expect-error.
import {
  Client, SctpgwError, MessageJoiner, IncompleteMessage, message, replyOptions, status,
  Event, InboundMessage, Endpoint, Association, SendStreamResponse, WatchAck, credentials,
} from '..';

async function main(): Promise<number> {
  const client: Client = await Client.connect('unix:/run/sctpgw/sctpgw.sock', {
    clientName: 'typed', leaseMs: 6000, liveness: 'application', timeoutMs: 5000,
    credentials: credentials.createInsecure(), channelOptions: { 'grpc.keepalive_time_ms': 10000 },
  });
  const sessionId: string = client.sessionId;
  const lease: number = client.leaseMs;

  const events = client.events({ afterSequence: 0n, onlyNew: false });
  const ack: WatchAck = await events.start({ timeoutMs: 1000 });
  const watcher = (async () => {
    for await (const event of events) {
      const sequence: string = event.sequence;
      if (event.kind === 'associationChange' && event.associationChange) {
        const type: string = event.associationChange.type;
        console.log(sequence, type, event.associationId);
      }
    }
  })();

  const endpoint: Endpoint = await client.openEndpoint('127.0.0.1', {
    port: 0, listen: true, streams: 4, streamScheduler: 'priority', oversizedMessages: 'ABORT',
    auth: { chunkTypes: [0], keys: { 1: 'secret' }, activeKeyId: 1 },
    socketSettings: { cookieLifeMs: 30000 }, pathParameters: { rtoMinMs: 100 }, timeoutMs: 2000,
  });
  await client.openEndpoint({ localAddresses: ['::'], listen: false }, { deadline: new Date() });
  const association: Association = await client.associate(endpoint.endpointId, ['127.0.0.1'], 7,
    { streams: 2, init: { maxInitAttempts: 3 } });
  const id = association.associationId;
  const accepted: number = await client.send(id, 'hello', { stream: 1, ppid: 46, lifetimeMs: 100 });
  await client.send(BigInt(id), Buffer.from([1, 2]), { unordered: true, context: 7 });
  await client.sendBatch(Number(id), ['a', message('b', { ppid: 3 }), { payload: 'c', stream: 1 }]);
  const received: InboundMessage[] = await client.receive(id, { maxMessages: 1, timeoutMs: 500 });
  for (const inbound of received) {
    await client.send(id, inbound.payload, replyOptions(inbound));
  }
  await client.receiveFromEndpoint(endpoint.endpointId);
  const state = await client.getAssociation(id, { streams: [1] });
  const paths: number = state.paths.length;
  await client.configurePaths(id, { heartbeatIntervalMs: 500 }, { peerAddress: '127.0.0.1' });
  await client.setPrimaryPath(id, '127.0.0.1');
  await client.requestPeerPrimaryPath(id, '127.0.0.1');
  await client.requestHeartbeat(id);
  await client.resetStreams(id, { direction: 'both', streams: [0] });
  await client.resetAssociation(id);
  await client.addStreams(id, { outbound: 1 });
  const scheduled = await client.configureStreams(id, { scheduler: 'STREAM_SCHEDULER_PRIORITY', values: { 1: 10 } });
  console.log(scheduled.scheduler, scheduled.values.map((value) => value.value));
  await client.changeAuthKey('activate', 1, { associationId: id });
  await client.updateEndpointAddresses(endpoint.endpointId, { add: '127.0.0.2' });
  const endpoints: Endpoint[] = await client.listEndpoints();
  const associations: Association[] = await client.listAssociations(endpoint.endpointId);
  const renewed = await client.renewLease(events.lastSequence);
  const serviceVersion: string = (await client.getServiceStatus()).version;
  await client.call('ResetAssociation', { associationId: id });

  const joiner = new MessageJoiner({ maxMessageBytes: 1 << 20 });
  for await (const whole of client.receiveStream(id, { maxMessages: 8, reconnect: false }).messages(joiner)) {
    const text: string = whole.payload.toString();
    console.log(text);
    break;
  }
  for await (const batch of client.receiveStream({ endpointId: endpoint.endpointId })) {
    const first: InboundMessage | null = joiner.add(batch[0]);
    console.log(first);
    break;
  }
  const sender = client.sendStream({ associationId: id, onProgress: (totals: SendStreamResponse) => totals });
  const written: number = await sender.send(['x', 'y']);
  const totals: SendStreamResponse = await sender.finish();
  const capture = client.capture({ associationId: id, snapBytes: 64 });
  await capture.start();
  capture.cancel();

  try {
    await client.associate(endpoint.endpointId, '127.0.0.1', 9);
  } catch (error) {
    if (error instanceof SctpgwError && error.code === status.UNAVAILABLE) {
      const reason: string = error.reason;
      const errno: string | undefined = error.metadata.errno;
      console.log(error.codeName, reason, errno, error.details, error.call, error.handedOver);
    } else if (error instanceof IncompleteMessage) {
      console.log(error.piece.offset);
    }
  }
  await client.shutdown(id);
  await client.abort(id, 'bye');
  await client.closeEndpoint(endpoint.endpointId, { abort: true });
  events.cancel();
  await watcher;
  await client.close();
  console.log(sessionId, lease, ack.lastSequence, accepted, paths, endpoints, associations, renewed.leaseMs,
    serviceVersion, written, totals.acceptedMessages);

  // What the definitions refuse:
  // @ts-expect-error a payload is a Buffer, Uint8Array or string
  await client.send(id, 42);
  // @ts-expect-error no such scheduler
  await client.openEndpoint('::', { streamScheduler: 'fastest' });
  // @ts-expect-error no such option
  await client.openEndpoint('::', { lisen: true });
  // @ts-expect-error ids in responses are strings
  const numeric: number = association.associationId;
  // @ts-expect-error events carry no such kind
  const wrongKind: boolean = (null as unknown as Event).kind === 'unknownKind';
  // @ts-expect-error liveness is connection or application
  await Client.connect('x', { liveness: 'sometimes' });
  console.log(numeric, wrongKind);
  return 0;
}

main().then((code) => { process.exitCode = code; });
