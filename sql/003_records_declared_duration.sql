-- A WAV cut short declares more audio than it holds: what the header promised, beside duration_seconds (what was
-- converted), so that the client can be told. Null for records written before this column, and by a replica still
-- running the previous version during an upgrade: they knew only what they converted (reads coalesce).
alter table records add column declared_duration_seconds double precision
  check (declared_duration_seconds >= 0);
