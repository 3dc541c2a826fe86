'use strict';
// What the test files share: a fake sctpgw with a client on it per test,
// and small waiting helpers.

const { FakeServer, FakeGateway, inbound, statusDetails } = require('./fake_gateway');
const sctpgw = require('..');

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `predicate` every 10 ms until it holds; throws after `ms`.
async function waitUntil(predicate, ms = 5000, what = 'the condition') {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`${what} did not come within ${ms} ms`);
    await sleep(10);
  }
}

// A started FakeServer and a Client with its session open on it:
// { server, fake, client }. close() ends both.
async function setUp(clientOptions = {}) {
  const server = await FakeServer.start();
  const client = await sctpgw.Client.connect(server.target, { timeoutMs: 5000, ...clientOptions });
  return {
    server,
    fake: server.fake,
    client,
    async close() {
      await client.close().catch(() => {});
      await server.stop();
    },
  };
}

// An endpoint and an association on it: { endpointId, associationId }.
async function associationOf(client) {
  const endpoint = await client.openEndpoint('127.0.0.1');
  const association = await client.associate(endpoint.endpointId, '127.0.0.2', 3868);
  return { endpointId: endpoint.endpointId, associationId: association.associationId };
}

// Expects `promise` to reject with an SctpgwError; returns the error.
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

module.exports = {
  sctpgw, FakeServer, FakeGateway, inbound, statusDetails, sleep, waitUntil, setUp, associationOf,
  rejection,
};
