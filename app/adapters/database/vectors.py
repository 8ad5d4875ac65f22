"""Vectors as psycopg parameters in pgvector's binary format.

pgvector's text form (``'[0.1,0.2,...]'``) costs about 1 ms to build for 768 floats; the binary
form is a ``struct.pack``. The dumper sends no type oid, so the SQL casts the parameter
(``%(query)s::vector``) and the server reads it with the vector type's binary input.
"""

import struct
from dataclasses import dataclass

from psycopg.adapt import AdaptersMap, Dumper
from psycopg.pq import Format


@dataclass(frozen=True, slots=True)
class BinaryVector:
    values: list[float]


class BinaryVectorDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: BinaryVector) -> bytes:
        # pgvector's wire format: dimensions (uint16), unused (uint16), float4 values.
        values = obj.values
        return struct.pack(f">HH{len(values)}f", len(values), 0, *values)


def register_binary_vectors(adapters: AdaptersMap) -> None:
    adapters.register_dumper(BinaryVector, BinaryVectorDumper)
