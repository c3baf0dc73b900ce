"""Other systems and the phone app: API bearer tokens, idempotency keys, Open311 keys and its read and write sides."""
