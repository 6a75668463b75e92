-- API key prefixes may repeat. Shannon's own keys carry 20 random bits in their prefix, so with a
-- unique prefix one of Shannon's key creations in a thousand or so is refused once a tenant holds
-- about 1,200 keys (docs/shannon-compat.md). Authentication reads every key of the prefix and
-- takes the one whose digest matches; Shannon Data's own prefixes (12 random characters, about 71
-- bits) still name one key in practice. A revocation by prefix that names several keys is refused
-- (revoke by id).
ALTER TABLE auth.api_keys DROP CONSTRAINT api_keys_key_prefix_key;
CREATE INDEX api_keys_key_prefix_idx ON auth.api_keys (key_prefix);
