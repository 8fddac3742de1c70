-- Users, their converted records, and the MP3 bytes in fixed-size chunks.

create table users (
  id uuid primary key,
  name text not null,
  -- SHA-256 of the access token; the token itself is never stored.
  token_sha256 bytea not null check (octet_length(token_sha256) = 32),
  created_at timestamptz not null default now()
);

create table records (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  original_name text not null,
  -- What came in.
  input_container text not null,
  input_encoding text not null,
  input_bits_per_sample integer not null,
  input_sample_rate integer not null,
  input_channels integer not null,
  duration_seconds double precision not null,
  -- What went out.
  sample_rate integer not null,
  channels integer not null,
  bitrate_kbps integer,
  vbr_quality integer,
  encoder text not null,
  byte_size bigint not null,
  -- SHA-256 of the audio frames, everything after the ID3 tag and the Info frame (which derive from them and from
  -- the name): identifies the content, e.g. for ETags.
  audio_sha256 bytea not null check (octet_length(audio_sha256) = 32),
  -- Every chunk but the last holds exactly this many bytes, so a byte offset maps to a chunk number.
  chunk_bytes integer not null check (chunk_bytes > 0),
  created_at timestamptz not null default now(),
  check ((bitrate_kbps is null) <> (vbr_quality is null))
);

create index records_by_user_newest on records (user_id, created_at desc, id desc);

-- Chunks are written while the encoder runs, before the record row exists: the foreign key is checked at
-- commit, so a conversion that fails rolls back and leaves nothing.
create table record_chunks (
  record_id uuid not null references records (id) on delete cascade deferrable initially deferred,
  seq integer not null check (seq >= 0),
  data bytea not null,
  primary key (record_id, seq)
);

-- MP3 does not compress; skip pglz and keep the bytes out of line where substring() reads them cheaply.
alter table record_chunks alter column data set storage external;
