from rhip.api.archives.v1 import archives_service_pb2 as _archives_service_pb2
from rhip.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
