"""libsodium sealed boxes, as GitHub requires for Actions secrets."""

from base64 import b64decode, b64encode

from nacl.public import PublicKey, SealedBox


def seal_for_github(public_key_b64: str, value: str) -> str:
    """Encrypt ``value`` to the repository's public key; base64 of the sealed box."""
    box = SealedBox(PublicKey(b64decode(public_key_b64)))
    return b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")
