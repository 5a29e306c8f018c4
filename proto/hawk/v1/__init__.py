"""hawk.v1 messages and gRPC stubs generated from the .proto files in this directory."""
