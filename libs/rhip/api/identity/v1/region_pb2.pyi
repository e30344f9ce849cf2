from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegionLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REGION_LEVEL_UNSPECIFIED: _ClassVar[RegionLevel]
    REGION_LEVEL_PROVINCE: _ClassVar[RegionLevel]
    REGION_LEVEL_PREFECTURE: _ClassVar[RegionLevel]
    REGION_LEVEL_COUNTY: _ClassVar[RegionLevel]
REGION_LEVEL_UNSPECIFIED: RegionLevel
REGION_LEVEL_PROVINCE: RegionLevel
REGION_LEVEL_PREFECTURE: RegionLevel
REGION_LEVEL_COUNTY: RegionLevel

class Region(_message.Message):
    __slots__ = ("name", "code", "display_name", "english_name", "level", "parent_code", "path")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENGLISH_NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    display_name: str
    english_name: str
    level: RegionLevel
    parent_code: str
    path: str
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., display_name: _Optional[str] = ..., english_name: _Optional[str] = ..., level: _Optional[_Union[RegionLevel, str]] = ..., parent_code: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...
