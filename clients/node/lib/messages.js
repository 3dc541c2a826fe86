'use strict';
// Building requests: outbound messages, checked field names, enum values by
// short name, 64-bit ids; and joining messages that arrive in pieces.
//
// The rule throughout the library: an option named after a request field
// (in lowerCamelCase, as the protos' field names become) takes what the
// field takes; an enum may also be given by its value name without the
// enum's prefix ('priority' for STREAM_SCHEDULER_PRIORITY, any case); a
// bytes field also takes a string (UTF-8); a repeated field also takes one
// value. A field name the request does not have is a TypeError before any
// call is made.

const protos = require('./protos');

// Pieces of one message may come to this much before the joiner refuses
// them (MessageTooLarge): a peer could otherwise send a message without end.
const DEFAULT_MAX_JOINED_BYTES = 64 * 1024 * 1024;

// A Buffer for a payload given as a Buffer, Uint8Array or string (UTF-8).
function payloadBytes(payload, what = 'a payload') {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) {
    return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  throw new TypeError(`${what} is a Buffer, Uint8Array or string, not ${describeType(payload)}`);
}

function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

// A 64-bit id (endpoint, association, sequence) as the decimal string
// requests and responses carry; given as a string, a number or a bigint.
function toId(value, what = 'an id') {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError(`${what} is negative: ${value}`);
    return value.toString();
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${what} is not a whole number: ${value}`);
    }
    return String(value);
  }
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value;
  throw new TypeError(`${what} is a decimal string, number or bigint, not ${JSON.stringify(value)}`);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) &&
    !Buffer.isBuffer(value) && !(value instanceof Uint8Array);
}

// The prefix of an enum's value names: what its _UNSPECIFIED value has
// before UNSPECIFIED ('STREAM_SCHEDULER_').
function enumPrefix(enumType) {
  const zero = Object.keys(enumType.values).find((name) => enumType.values[name] === 0) || '';
  return zero.endsWith('UNSPECIFIED') ? zero.slice(0, -'UNSPECIFIED'.length) : '';
}

// An enum value as its full name (or number as given); short names and any
// case are accepted. Throws RangeError for a name the enum lacks.
function enumValue(enumType, value, where) {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') {
    throw new TypeError(`${where} is a ${enumType.name} name or number, not ${describeType(value)}`);
  }
  const prefix = enumPrefix(enumType);
  let name = value.toUpperCase();
  if (!(name in enumType.values) && !name.startsWith(prefix)) name = prefix + name;
  if (!(name in enumType.values)) {
    const names = Object.keys(enumType.values).map((n) => n.slice(prefix.length).toLowerCase());
    throw new RangeError(`${where}: ${JSON.stringify(value)} is none of ${names.join(', ')}`);
  }
  return name;
}

function fieldValue(field, value, where) {
  if (value === undefined || value === null) return value;
  if (field.resolvedType && field.resolvedType.values) return enumValue(field.resolvedType, value, where);
  if (field.resolvedType) {
    if (!isPlainObject(value)) {
      throw new TypeError(`${where} is an object of ${field.resolvedType.name}'s fields, ` +
        `not ${describeType(value)}`);
    }
    return checked(field.resolvedType, value, where);
  }
  if (field.type === 'bytes') return payloadBytes(value, where);
  if (['uint64', 'int64', 'fixed64', 'sfixed64', 'sint64'].includes(field.type) &&
      typeof value === 'bigint') {
    return value.toString();
  }
  return value;
}

// A copy of `object` as a message of `type` takes it, field names checked,
// enum names completed, strings of bytes fields encoded, bigints of 64-bit
// fields turned into decimal strings.
function checked(type, object, where) {
  const result = {};
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key];
    if (!field) {
      // A oneof's virtual name, as responses carry it (target: 'associationId').
      if (type.oneofs && key in type.oneofs) continue;
      const names = Object.keys(type.fields).join(', ');
      throw new TypeError(`${where}: ${type.name} has no field ${JSON.stringify(key)} (it has ${names})`);
    }
    const at = `${where}.${key}`;
    if (field.repeated && !field.map) {
      const items = Array.isArray(value) ? value : (value === undefined || value === null ? [] : [value]);
      result[key] = items.map((item, index) => fieldValue(field, item, `${at}[${index}]`));
    } else if (field.map) {
      result[key] = value;
    } else {
      result[key] = fieldValue(field, value, at);
    }
  }
  return result;
}

// `object` checked as a request of sctpgw.v1.`typeName`.
function request(typeName, object) {
  const type = protos.load().root.lookupType(`sctpgw.v1.${typeName}`);
  return checked(type, object, typeName);
}

// The names of a message's fields, for splitting options.
function fieldNames(typeName) {
  return Object.keys(protos.load().root.lookupType(`sctpgw.v1.${typeName}`).fields);
}

// An OutboundMessage: payload (Buffer, Uint8Array or string) and options
// (stream, ppid, unordered, lifetimeMs, maxRetransmissions, priority,
// peerAddress, context; docs/api.md says what each does).
function message(payload, options = {}) {
  if (!isPlainObject(options)) throw new TypeError('message options are an object');
  return request('OutboundMessage', { ...options, payload: payloadBytes(payload) });
}

// An OutboundMessage from one (an object with a payload) or from a payload
// alone (default options).
function outbound(item) {
  if (isPlainObject(item)) {
    const { payload, ...options } = item;
    return message(payload, options);
  }
  return message(item);
}

// The stream, PPID and ordering of a received message, as options for the
// reply: client.send(associationId, data, replyOptions(received)).
function replyOptions(inbound) {
  return { stream: inbound.stream, ppid: inbound.ppid, unordered: inbound.unordered };
}

// A piece that does not continue what was gathered for its association,
// stream and ordering (e.g. receiving began in the middle of a message).
class IncompleteMessage extends Error {
  constructor(text, piece) {
    super(text);
    this.name = 'IncompleteMessage';
    this.piece = piece;
  }
}

// The pieces of one message exceed the joiner's maxMessageBytes.
class MessageTooLarge extends Error {
  constructor(text) {
    super(text);
    this.name = 'MessageTooLarge';
  }
}

// Joins InboundMessages delivered in pieces (docs/api.md, "Large incoming
// messages"): the pieces of one message come in order, with `offset` their
// place in it and `moreFollows` on all but the last; messages of other
// associations, streams or ordering may come between them.
//
//   const joiner = new MessageJoiner();
//   for (const piece of await client.receive(associationId)) {
//     const whole = joiner.add(piece);
//     if (whole) ...
//   }
//
// add() returns each whole message (one not in pieces at once, as it is)
// and null while a message is incomplete; it throws IncompleteMessage for a
// piece that does not continue its message (what was gathered is dropped)
// and MessageTooLarge past maxMessageBytes.
class MessageJoiner {
  constructor({ maxMessageBytes = DEFAULT_MAX_JOINED_BYTES } = {}) {
    this.maxMessageBytes = maxMessageBytes;
    this._partial = new Map(); // key -> { first, payloads, size }
  }

  static key(piece) {
    return `${piece.associationId}/${piece.stream}/${piece.unordered ? 1 : 0}`;
  }

  add(piece) {
    const key = MessageJoiner.key(piece);
    const offset = Number(piece.offset || 0);
    let gathered = this._partial.get(key);
    const where = `association ${piece.associationId} stream ${piece.stream}`;
    if (offset === 0 && !piece.moreFollows && !gathered) return piece;
    if (offset === 0) {
      if (gathered) {
        this._partial.delete(key);
        throw new IncompleteMessage(`${where}: a new message began after ${gathered.size} bytes ` +
          'of one whose last piece never came', piece);
      }
      gathered = { first: piece, payloads: [], size: 0 };
      this._partial.set(key, gathered);
    } else if (!gathered || gathered.size !== offset) {
      this._partial.delete(key);
      throw new IncompleteMessage(`${where}: a piece at offset ${offset} after ` +
        `${gathered ? gathered.size : 0} bytes of its message`, piece);
    }
    const payload = payloadBytes(piece.payload);
    gathered.payloads.push(payload);
    gathered.size += payload.length;
    if (gathered.size > this.maxMessageBytes) {
      this._partial.delete(key);
      throw new MessageTooLarge(`${where}: a message above ${this.maxMessageBytes} bytes`);
    }
    if (piece.moreFollows) return null;
    this._partial.delete(key);
    return {
      ...gathered.first, payload: Buffer.concat(gathered.payloads, gathered.size),
      moreFollows: false, offset: '0',
    };
  }

  // How many messages are partly gathered.
  pending() {
    return this._partial.size;
  }

  // Drops what was gathered (of one association, or of all): after its end,
  // or before receiving anew.
  discard(associationId) {
    for (const key of [...this._partial.keys()]) {
      if (associationId === undefined || key.startsWith(`${toId(associationId)}/`)) {
        this._partial.delete(key);
      }
    }
  }

  // The whole messages of an iterable or async iterable of InboundMessages
  // and/or arrays of them (as a ReceiveStream yields).
  async * join(source) {
    for await (const item of source) {
      for (const piece of Array.isArray(item) ? item : [item]) {
        const whole = this.add(piece);
        if (whole) yield whole;
      }
    }
  }
}

module.exports = {
  DEFAULT_MAX_JOINED_BYTES, payloadBytes, toId, isPlainObject, enumValue, request, fieldNames,
  message, outbound, replyOptions, IncompleteMessage, MessageTooLarge, MessageJoiner,
};
