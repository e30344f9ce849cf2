"""Server reflection, v1 as well as v1alpha, on every rhip server.

grpcio-reflection (through 1.85 at least) implements only ``grpc.reflection.v1alpha``, which
current clients (grpcurl, buf curl, Postman) ask for second or not at all. ``grpc.reflection.v1``
is the same protocol under another package: the same messages, field for field, so one
servicer answers both, and v1's bytes are v1alpha's bytes. What v1 needs besides its method is
its own descriptor in the pool, so that a client that reflects on the reflection service itself
(``buf curl --list-methods`` describes every listed service) finds it; it is derived here from
the v1alpha descriptor with the package renamed, rather than vendoring a copy of the proto.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha import reflection_pb2 as alpha_pb2

V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_PACKAGE = "grpc.reflection.v1"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
V1ALPHA_SERVICE_NAME = reflection.SERVICE_NAME

_pool_lock = threading.Lock()


def _v1_descriptor_proto() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    alpha_pb2.DESCRIPTOR.CopyToProto(proto)
    old, new = f".{proto.package}.", f".{V1_PACKAGE}."
    proto.name, proto.package = V1_FILE, V1_PACKAGE
    proto.options.Clear()  # v1alpha's are deprecated=true and its java/go packages
    proto.options.java_package = "io.grpc.reflection.v1"
    proto.options.java_multiple_files = True
    proto.options.java_outer_classname = "ServerReflectionProto"
    proto.options.go_package = "google.golang.org/grpc/reflection/grpc_reflection_v1"
    for message in proto.message_type:
        for field in message.field:
            if field.type_name.startswith(old):
                field.type_name = new + field.type_name.removeprefix(old)
    for service in proto.service:
        for method in service.method:
            method.input_type = new + method.input_type.removeprefix(old)
            method.output_type = new + method.output_type.removeprefix(old)
    return proto


def ensure_v1_descriptor(pool: descriptor_pool.DescriptorPool | None = None) -> None:
    """Put ``grpc/reflection/v1/reflection.proto`` into ``pool`` (the default pool) once."""
    pool = pool or descriptor_pool.Default()
    with _pool_lock:
        try:
            pool.FindFileByName(V1_FILE)  # added earlier, or by a library that ships it
        except KeyError:
            pool.AddSerializedFile(_v1_descriptor_proto().SerializeToString())


def enable_server_reflection(service_names: Sequence[str], server: grpc.Server) -> None:
    """Serve reflection for ``service_names`` (and itself, both versions) on ``server``."""
    ensure_v1_descriptor()
    servicer = reflection.ReflectionServicer(
        [*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME]
    )
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=alpha_pb2.ServerReflectionRequest.FromString,
        response_serializer=alpha_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": handler})
            for name in (V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
        ]
    )
