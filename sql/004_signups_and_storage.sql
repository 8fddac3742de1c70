-- Sign-ups per client address, so that the hourly limit holds across every replica on this database. Rows older
-- than an hour are deleted as the same address signs up again; the index serves the count and that deletion.
create table signups (
  address text not null,
  created_at timestamptz not null default now()
);

create index signups_by_address on signups (address, created_at);

-- A user's storage is the sum of their records' sizes; this index lets the sum read the index alone.
create index records_bytes_by_user on records (user_id) include (byte_size);
