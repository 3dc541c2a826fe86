"""sctpgw.Client against the fake sctpgw: sessions, the typed calls and what
their requests carry, errors as exceptions, deadlines, HANDED_OVER
retries, paging."""
import time
import unittest

import grpc

import support
import sctpgw
from support import SERVICE, TYPES, Failure


class ClientTestCase(unittest.TestCase):
    def setUp(self):
        self.server = support.Server()
        self.fake = self.server.fake
        self.client = sctpgw.Client(self.server.target, client_name="unit", lease_ms=5000,
                                    timeout=5)

    def tearDown(self):
        self.client.close()
        self.server.stop()

    def last(self, method):
        return self.fake.requests_of(method)[-1]

    def association(self):
        endpoint = self.client.open_endpoint("127.0.0.1")
        return self.client.associate(endpoint.endpoint_id, "127.0.0.2", 3868)


class SessionTest(ClientTestCase):
    def test_the_client_opens_a_session_and_close_ends_it(self):
        request = self.last("OpenSession")
        self.assertEqual((request.client_name, request.requested_lease_ms), ("unit", 5000))
        self.assertEqual(self.client.lease_ms, 5000)
        self.assertIn(self.client.session_id, self.fake.sessions)
        self.client.close()
        self.assertNotIn(self.client.session_id, self.fake.sessions)
        self.assertEqual(self.last("CloseSession").session_id, self.client.session_id)
        self.client.close()  # Once is enough.
        self.assertEqual(len(self.fake.requests_of("CloseSession")), 1)

    def test_every_request_carries_the_session(self):
        association = self.association()
        self.client.send(association.association_id, b"x")
        for method in ("OpenEndpoint", "Associate", "Send"):
            self.assertEqual(self.last(method).session_id, self.client.session_id)

    def test_attaching_to_a_session_opens_none_and_can_leave_it_alive(self):
        with sctpgw.Client(self.server.target, session_id=self.client.session_id,
                           close_session=False) as attached:
            self.assertEqual(attached.session_id, self.client.session_id)
            attached.open_endpoint("127.0.0.1")
        self.assertEqual(len(self.fake.requests_of("OpenSession")), 1)
        self.assertEqual(self.fake.requests_of("CloseSession"), [])
        self.assertIn(self.client.session_id, self.fake.sessions)

    def test_a_session_gone_gives_session_not_found(self):
        del self.fake.sessions[self.client.session_id]
        with self.assertRaises(sctpgw.NotFound) as caught:
            self.client.list_endpoints()
        self.assertEqual(caught.exception.reason, "SESSION_NOT_FOUND")
        self.client.close()  # Closing a session already gone is no error.

    def test_a_failed_open_session_raises(self):
        self.fake.fail_next["OpenSession"].append(
            Failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "LIMIT_EXCEEDED", {"limit": "max_sessions"}))
        with self.assertRaises(sctpgw.ResourceExhausted) as caught:
            sctpgw.Client(self.server.target)
        self.assertEqual(caught.exception.metadata, {"limit": "max_sessions"})
        self.assertEqual(caught.exception.call, "OpenSession")

    def test_nothing_listening_is_unavailable(self):
        with self.assertRaises(sctpgw.Unavailable) as caught:
            sctpgw.Client(f"unix:{self.server.directory}/nobody.sock", timeout=2)
        self.assertEqual(caught.exception.reason, "")


class CallsTest(ClientTestCase):
    def test_open_endpoint_takes_every_option_as_keywords(self):
        endpoint = self.client.open_endpoint(
            ["127.0.0.1", "127.0.0.3"], 3868, listen=True, backlog=16, streams=8,
            path_parameters={"rto_initial_ms": 200, "heartbeat_enabled": False},
            address_reconfiguration=True, udp_encapsulation_port=9899,
            stream_reconfiguration={"reset_streams": True, "add_streams": True},
            interleaving=True, stream_scheduler="round_robin",
            auth={"chunk_types": [0], "keys": {1: b"secret", 2: "other"}, "active_key_id": 2},
            socket_settings={"cookie_life_ms": 30000, "bundle_messages": True,
                             "max_segment_bytes": 1200},
            oversized_messages="ABORT")
        request = self.last("OpenEndpoint")
        self.assertEqual(list(request.local_addresses), ["127.0.0.1", "127.0.0.3"])
        self.assertEqual((request.port, request.listen, request.backlog), (3868, True, 16))
        self.assertEqual((request.init.outbound_streams, request.init.max_inbound_streams), (8, 8))
        self.assertEqual(request.path_parameters.rto_initial_ms, 200)
        self.assertTrue(request.path_parameters.HasField("heartbeat_enabled"))
        self.assertFalse(request.path_parameters.HasField("rto_max_ms"))
        self.assertTrue(request.address_reconfiguration)
        self.assertEqual(request.udp_encapsulation_port, 9899)
        self.assertTrue(request.stream_reconfiguration.reset_streams)
        self.assertFalse(request.stream_reconfiguration.reset_association)
        self.assertTrue(request.interleaving)
        self.assertEqual(request.stream_scheduler, TYPES.STREAM_SCHEDULER_ROUND_ROBIN)
        self.assertEqual(list(request.auth.chunk_types), [0])
        self.assertEqual([(k.key_id, k.secret) for k in request.auth.keys],
                         [(1, b"secret"), (2, b"other")])
        self.assertEqual(request.auth.active_key_id, 2)
        self.assertEqual(request.socket_settings.cookie_life_ms, 30000)
        self.assertTrue(request.socket_settings.bundle_messages)
        self.assertFalse(request.socket_settings.HasField("receive_window_bytes"))
        self.assertEqual(request.oversized_messages, TYPES.OVERSIZED_MESSAGES_ABORT)
        self.assertEqual(endpoint.port, 3868)
        self.assertEqual(endpoint.socket_settings.cookie_life_ms, 30000)

    def test_open_endpoint_defaults_leave_the_options_unset(self):
        self.client.open_endpoint("::")
        request = self.last("OpenEndpoint")
        for field in ("init", "path_parameters", "stream_reconfiguration", "auth",
                      "socket_settings"):
            self.assertFalse(request.HasField(field), field)
        self.assertEqual(request.stream_scheduler, TYPES.STREAM_SCHEDULER_UNSPECIFIED)
        self.assertEqual(request.oversized_messages, TYPES.OVERSIZED_MESSAGES_UNSPECIFIED)

    def test_messages_and_enums_may_be_given_as_messages_and_numbers(self):
        init = SERVICE.InitOptions(max_init_attempts=3, outbound_streams=2)
        self.client.open_endpoint("127.0.0.1", auth=True, stream_scheduler=2, init=init,
                                  streams=6)
        request = self.last("OpenEndpoint")
        self.assertTrue(request.auth.enabled)
        self.assertEqual(request.stream_scheduler, TYPES.STREAM_SCHEDULER_PRIORITY)
        self.assertEqual((request.init.max_init_attempts, request.init.outbound_streams,
                          request.init.max_inbound_streams), (3, 2, 6))
        self.assertEqual(init, SERVICE.InitOptions(max_init_attempts=3, outbound_streams=2))

    def test_a_wrong_option_name_is_refused_before_any_call(self):
        with self.assertRaises(ValueError):
            self.client.open_endpoint("127.0.0.1", stream_scheduler="fastest")
        with self.assertRaises(ValueError):
            self.client.open_endpoint("127.0.0.1", socket_settings={"cookie_life": 1})
        self.assertEqual(self.fake.requests_of("OpenEndpoint"), [])

    def test_associate_with_init_options(self):
        endpoint = self.client.open_endpoint("127.0.0.1")
        association = self.client.associate(
            endpoint.endpoint_id, ["127.0.0.2", "127.0.0.4"], 36412,
            init={"outbound_streams": 4, "max_inbound_streams": 5, "max_init_attempts": 2,
                  "max_init_timeout_ms": 500})
        request = self.last("Associate")
        self.assertEqual(list(request.peer_addresses), ["127.0.0.2", "127.0.0.4"])
        self.assertEqual(request.peer_port, 36412)
        self.assertEqual((request.init.outbound_streams, request.init.max_inbound_streams,
                          request.init.max_init_attempts, request.init.max_init_timeout_ms),
                         (4, 5, 2, 500))
        self.assertEqual(association.outbound_streams, 4)
        self.assertEqual(association.state, TYPES.ASSOCIATION_STATE_ESTABLISHED)

    def test_associate_refused_raises_the_reason_and_metadata(self):
        endpoint = self.client.open_endpoint("127.0.0.1")
        with self.assertRaises(sctpgw.Unavailable) as caught:
            self.client.associate(endpoint.endpoint_id, "127.0.0.2", 9)
        error = caught.exception
        self.assertEqual((error.code, error.reason), (grpc.StatusCode.UNAVAILABLE,
                                                      "ASSOCIATE_FAILED"))
        self.assertEqual(error.metadata["errno"], "111")
        self.assertEqual(error.call, "Associate")
        self.assertEqual(len(self.fake.requests_of("Associate")), 1)  # Not retried.

    def test_send_carries_every_message_option(self):
        association = self.association()
        self.client.send(association.association_id, "héllo", stream=3, ppid=60,
                         unordered=True, max_retransmissions=0, peer_address="127.0.0.2",
                         context=77)
        self.client.send(association.association_id, b"timed", lifetime_ms=250, priority=4)
        first, second = self.fake.sent[association.association_id]
        self.assertEqual(first.payload, "héllo".encode())
        self.assertEqual((first.stream, first.ppid, first.unordered, first.peer_address,
                          first.context), (3, 60, True, "127.0.0.2", 77))
        self.assertTrue(first.HasField("max_retransmissions"))
        self.assertFalse(first.HasField("priority"))
        self.assertEqual((second.lifetime_ms, second.priority), (250, 4))
        self.assertFalse(second.HasField("max_retransmissions"))

    def test_send_batch_returns_the_count_and_keeps_the_order(self):
        association = self.association()
        count = self.client.send_batch(association.association_id, [
            b"one", "two", sctpgw.message(b"three", stream=2, ppid=5)])
        self.assertEqual(count, 3)
        self.assertEqual([m.payload for m in self.fake.sent[association.association_id]],
                         [b"one", b"two", b"three"])

    def test_stream_out_of_range(self):
        association = self.association()
        with self.assertRaises(sctpgw.InvalidArgument) as caught:
            self.client.send(association.association_id, b"x", stream=10)
        self.assertEqual(caught.exception.reason, "STREAM_OUT_OF_RANGE")
        self.assertEqual(caught.exception.metadata["field"], "messages[0].stream")

    def test_receive_returns_messages_and_nothing_when_none_came_in_time(self):
        association = self.association()
        self.fake.deliver(association.association_id,
                          support.inbound("a", 1, 46), support.inbound("b", 2, 47))
        received = self.client.receive(association.association_id, max_messages=8, timeout=2)
        self.assertEqual([(m.payload, m.stream, m.ppid) for m in received],
                         [(b"a", 1, 46), (b"b", 2, 47)])
        self.assertEqual(self.last("Receive").max_messages, 8)
        began = time.monotonic()
        self.assertEqual(self.client.receive(association.association_id, timeout=0.3), [])
        self.assertLess(time.monotonic() - began, 2.0)

    def test_receive_from_endpoint(self):
        association = self.association()
        self.fake.deliver(association.association_id, support.inbound("x"))
        received = self.client.receive_from_endpoint(association.endpoint_id, timeout=2)
        self.assertEqual([m.association_id for m in received], [association.association_id])
        self.assertEqual(self.last("Receive").WhichOneof("target"), "endpoint_id")

    def test_receive_from_an_unknown_association_raises(self):
        with self.assertRaises(sctpgw.NotFound) as caught:
            self.client.receive(999, timeout=1)
        self.assertEqual(caught.exception.reason, "ASSOCIATION_NOT_FOUND")

    def test_shutdown_and_abort(self):
        association = self.association()
        self.client.shutdown(association.association_id)
        self.client.abort(association.association_id, "going away")
        graceful, abort = self.fake.requests_of("Shutdown")
        self.assertEqual(graceful.mode, SERVICE.SHUTDOWN_MODE_GRACEFUL)
        self.assertEqual((abort.mode, abort.abort_reason),
                         (SERVICE.SHUTDOWN_MODE_ABORT, "going away"))

    def test_lists_read_every_page(self):
        ids = [self.client.open_endpoint("127.0.0.1").endpoint_id for _ in range(3)]
        self.assertEqual([e.endpoint_id for e in self.client.list_endpoints()], ids)
        self.assertEqual([r.page_token for r in self.fake.requests_of("ListEndpoints")],
                         ["", "1", "2"])
        association = self.client.associate(ids[1], "127.0.0.2", 1)
        self.assertEqual([a.association_id for a in self.client.list_associations(ids[1])],
                         [association.association_id])
        self.assertEqual(self.client.list_associations(ids[0]), [])

    def test_get_association_and_the_path_calls(self):
        association = self.association()
        aid = association.association_id
        status = self.client.get_association(aid, streams=[1, 2])
        self.assertEqual(status.association.association_id, aid)
        self.assertEqual(list(self.last("GetAssociation").streams), [1, 2])
        self.assertEqual(status.paths[0].address.ip, "127.0.0.2")

        in_force = self.client.configure_paths(aid, {"rto_min_ms": 100}, rto_max_ms=400,
                                               peer_address="127.0.0.2")
        request = self.last("ConfigurePaths")
        self.assertEqual((request.parameters.rto_min_ms, request.parameters.rto_max_ms,
                          request.peer_address), (100, 400, "127.0.0.2"))
        self.assertFalse(request.parameters.HasField("rto_initial_ms"))
        self.assertEqual(in_force.parameters.rto_max_ms, 400)

        self.assertIsNone(self.client.set_primary_path(aid, "127.0.0.2"))
        self.assertEqual(self.last("SetPrimaryPath").peer_address, "127.0.0.2")
        self.client.request_peer_primary_path(aid, "127.0.0.1")
        self.assertEqual(self.last("RequestPeerPrimaryPath").local_address, "127.0.0.1")
        self.client.request_heartbeat(aid)
        self.assertEqual(self.last("RequestHeartbeat").peer_address, "")
        self.client.update_endpoint_addresses(association.endpoint_id, add="127.0.0.5",
                                              remove=["127.0.0.1"])
        request = self.last("UpdateEndpointAddresses")
        self.assertEqual((list(request.add_addresses), list(request.remove_addresses)),
                         (["127.0.0.5"], ["127.0.0.1"]))

    def test_the_extension_calls(self):
        association = self.association()
        aid = association.association_id
        self.client.reset_streams(aid, "both", [1, 2])
        request = self.last("ResetStreams")
        self.assertEqual((request.direction, list(request.streams)),
                         (SERVICE.STREAM_RESET_DIRECTION_BOTH, [1, 2]))
        self.client.reset_association(aid)
        self.assertEqual(self.last("ResetAssociation").association_id, aid)
        self.client.add_streams(aid, outbound=2, inbound=3)
        request = self.last("AddStreams")
        self.assertEqual((request.outbound, request.inbound), (2, 3))
        in_force = self.client.configure_streams(aid, "priority", {1: 10, 2: 20})
        self.assertEqual(in_force.scheduler, TYPES.STREAM_SCHEDULER_PRIORITY)
        self.assertEqual([(v.stream, v.value) for v in in_force.values], [(1, 10), (2, 20)])
        self.client.configure_streams(aid, values=[(3, 1)])
        self.assertEqual(self.last("ConfigureStreams").scheduler,
                         TYPES.STREAM_SCHEDULER_UNSPECIFIED)
        self.client.change_auth_key("add", 5, endpoint_id=association.endpoint_id,
                                    secret=b"k" * 16)
        request = self.last("ChangeAuthKey")
        self.assertEqual((request.action, request.key_id, request.endpoint_id, request.secret),
                         (SERVICE.AUTH_KEY_ACTION_ADD, 5, association.endpoint_id, b"k" * 16))
        self.client.change_auth_key("AUTH_KEY_ACTION_ACTIVATE", 5, association_id=aid)
        self.assertEqual(self.last("ChangeAuthKey").association_id, aid)

    def test_close_endpoint_and_service_status(self):
        endpoint = self.client.open_endpoint("127.0.0.1")
        self.client.close_endpoint(endpoint.endpoint_id, abort=True)
        self.assertTrue(self.last("CloseEndpoint").abort)
        with self.assertRaises(sctpgw.NotFound) as caught:
            self.client.close_endpoint(endpoint.endpoint_id)
        self.assertEqual(caught.exception.reason, "ENDPOINT_NOT_FOUND")
        status = self.client.service_status()
        self.assertEqual((status.version, status.state),
                         ("0.1.0", SERVICE.SERVICE_STATE_SERVING))


class HandoverTest(ClientTestCase):
    def test_a_call_answered_handed_over_is_made_again(self):
        association = self.association()
        self.fake.fail_next["GetAssociation"] += [
            Failure(grpc.StatusCode.UNAVAILABLE, "HANDED_OVER"),
            Failure(grpc.StatusCode.CANCELLED, "CANCELLED")]
        status = self.client.get_association(association.association_id)
        self.assertEqual(status.association.association_id, association.association_id)
        self.assertEqual(len(self.fake.requests_of("GetAssociation")), 3)

    def test_a_batch_cut_by_a_handover_goes_on_with_what_was_not_accepted(self):
        association = self.association()
        self.fake.send_accepts.append(1)
        count = self.client.send_batch(association.association_id, [b"1", b"2", b"3"])
        self.assertEqual(count, 3)
        self.assertEqual([m.payload for m in self.fake.sent[association.association_id]],
                         [b"1", b"2", b"3"])
        self.assertEqual([len(r.messages) for r in self.fake.requests_of("Send")], [3, 2])

    def test_retries_end_at_the_deadline_counting_every_accepted_message(self):
        association = self.association()
        self.fake.send_accepts += [1] * 1000
        began = time.monotonic()
        with self.assertRaises(sctpgw.Unavailable) as caught:
            self.client.send_batch(association.association_id, [b"%d" % i for i in range(50)],
                                   timeout=0.5)
        elapsed = time.monotonic() - began
        self.assertTrue(caught.exception.handed_over)
        accepted = int(caught.exception.metadata["accepted_messages"])
        self.assertEqual(accepted, len(self.fake.sent[association.association_id]))
        self.assertGreater(accepted, 1)
        self.assertLess(elapsed, 0.5 + 0.3)

    def test_other_errors_are_not_retried(self):
        self.fake.fail_next["ListEndpoints"].append(
            Failure(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN"))
        with self.assertRaises(sctpgw.Unavailable) as caught:
            self.client.list_endpoints()
        self.assertEqual(caught.exception.reason, "SHUTTING_DOWN")
        self.assertEqual(len(self.fake.requests_of("ListEndpoints")), 1)


class DeadlineTest(ClientTestCase):
    def test_the_clients_timeout_is_every_calls_deadline(self):
        association = self.association()
        self.client.timeout = 0.3
        began = time.monotonic()
        self.assertEqual(self.client.receive(association.association_id), [])
        self.assertLess(time.monotonic() - began, 2.0)

    def test_a_deadline_already_passed(self):
        with self.assertRaises(sctpgw.DeadlineExceeded):
            self.client.list_endpoints(timeout=0)


if __name__ == "__main__":
    unittest.main()
