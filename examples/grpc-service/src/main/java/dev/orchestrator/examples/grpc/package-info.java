/**
 * The tasks of an orchestrator as orchestrator.v1.TaskService: gRPC over HTTP/2 and gRPC-web over
 * HTTP/1.1 on one port (Armeria), request metadata, the one error mapping, and the runnable
 * example.
 */
package dev.orchestrator.examples.grpc;
