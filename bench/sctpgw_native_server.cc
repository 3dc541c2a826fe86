// sctpgw_native_server: sctpgw's core and rpc layers, as the service wires
// them, over the in-memory SCTP stack (memory_stack/) instead of the
// kernel's, serving gRPC on a unix socket. What a client measures through
// it is what sctpgw adds between an application and the kernel: the gRPC
// hop, the thread hand-offs and the copies (docs/benchmarks.md, "native").
// Not part of the shipped service.
//
// With --floor it serves instead the floor of any gRPC design (a service
// that only sends the payload back, floor_service.h), on the same kind of
// unix socket.
//
// Usage: sctpgw_native_server --listen PATH [--source-bytes N] [--floor]
// Runs until SIGTERM or SIGINT; prints "ready" on stdout once serving.
#include <signal.h>

#include <cstdio>
#include <future>
#include <string>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include "bench/floor_service.h"
#include "bench/memory_stack/memory_sctp_stack.h"
#include "server/core/gateway.h"
#include "server/process/allocator_tuning.h"
#include "server/process/mutex_checks.h"
#include "server/rpc/gateway_service.h"
#include "server/rpc/unix_listener.h"

int main(int argc, char** argv) {
  std::string path;
  sctpgw::bench::MemorySctpStack::Options stack_options;
  CLI::App app{"sctpgw's rpc and core over an in-memory SCTP stack (benchmarks only)"};
  app.add_option("--listen", path, "unix socket path")->required();
  app.add_option("--source-bytes", stack_options.source_bytes,
                 "size of the messages the source peer (port 19) sends")
      ->capture_default_str();
  bool floor = false;
  app.add_flag("--floor", floor, "serve gRPC's floor (payload echoed back) instead of sctpgw");
  CLI11_PARSE(app, argc, argv);

  sctpgw::process::AllocatorTuning::Apply();  // As sctpgw does.
  sctpgw::process::ConfigureMutexChecks();
  sctpgw::process::AllocatorTuning allocator;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sctpgw::bench::MemorySctpStack stack(stack_options);
  sctpgw::core::Limits limits;
  sctpgw::core::Gateway gateway(stack, limits);
  sctpgw::rpc::GatewayServiceImpl service(gateway);
  stack.Start();
  std::function<void()> tick = [&] {
    service.Tick();
    allocator.Tick();
    stack.StartTimer(std::chrono::seconds(1), tick);
  };
  stack.Post([&] { stack.StartTimer(std::chrono::seconds(1), tick); });

  sctpgw::bench::FloorService floor_service;
  grpc::ServerBuilder builder;
  if (floor) {
    builder.RegisterService(&floor_service);
  } else {
    builder.RegisterService(&service);
  }
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, 1 << 20);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  auto listener = sctpgw::rpc::UnixListener::Open(path, sctpgw::rpc::UnixListenerOptions{});
  if (!listener.ok()) {
    std::fprintf(stderr, "%s\n", listener.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 1;
  (*listener)->Start(server.get());
  std::printf("ready\n");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*listener)->Stop();
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  std::promise<void> closed;
  stack.Post([&] {
    gateway.Close();
    closed.set_value();
  });
  closed.get_future().wait();
  stack.Stop();
  return 0;
}
