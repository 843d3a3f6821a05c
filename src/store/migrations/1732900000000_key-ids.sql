-- Up Migration

-- The root key a ciphertext is sealed under, read from its envelope (src/store/secret-box.ts): version 1 holds no
-- id (sealed under the key called 'default'); version 2 starts 2 | id length | id (ASCII). NULL: a format this code
-- does not know.
CREATE FUNCTION sealed_key_id(sealed bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE get_byte(sealed, 0) WHEN 1 THEN 'default' WHEN 2 THEN encode(substring(sealed FROM 3 FOR get_byte(sealed, 1)), 'escape') END
$$;

-- Generated columns: the envelope stays the one record of the key (no writer can forget to set key_id); stored
-- and indexed, so `pg-rotator keys status` counts by index and `keys re-encrypt` finds the rows still under an
-- old key without reading the others.
ALTER TABLE connections ADD COLUMN key_id text GENERATED ALWAYS AS (sealed_key_id(password_enc)) STORED;
ALTER TABLE credentials ADD COLUMN key_id text GENERATED ALWAYS AS (sealed_key_id(password_enc)) STORED;
ALTER TABLE secret_versions ADD COLUMN key_id text GENERATED ALWAYS AS (sealed_key_id(value_enc)) STORED;
CREATE INDEX connections_key_id_idx ON connections (key_id);
CREATE INDEX credentials_key_id_idx ON credentials (key_id);
CREATE INDEX secret_versions_key_id_idx ON secret_versions (key_id);

-- Down Migration
ALTER TABLE secret_versions DROP COLUMN key_id;
ALTER TABLE credentials DROP COLUMN key_id;
ALTER TABLE connections DROP COLUMN key_id;
DROP FUNCTION sealed_key_id(bytea);
